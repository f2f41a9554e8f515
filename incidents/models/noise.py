"""Noise review: responders' verdicts on incidents and on integrations' alert streams.

An incident's current verdict lives on the incident (`noise_verdict`, `noise_reason`, kept consistent with
`false_alarm`: the verdict "false alarm" ⇔ false_alarm, which the metrics count); each verdict given is also a
timeline entry. An integration's verdicts are rows of their own (the latest is the current one), so the hygiene
review sees who judged the stream, when and why.
"""

from django.conf import settings
from django.db import models


class NoiseVerdict(models.TextChoices):
    ACTIONABLE = "actionable", "Actionable"
    NOISY = "noisy", "Noisy"
    FALSE_ALARM = "false_alarm", "False alarm"


REASON_MAX_LENGTH = 280


class IntegrationVerdict(models.Model):
    integration = models.ForeignKey("incidents.Integration", on_delete=models.CASCADE, related_name="verdicts")
    verdict = models.CharField(max_length=16, choices=NoiseVerdict.choices)
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["integration", "-at"], name="integration_verdict_latest")]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.integration}"
