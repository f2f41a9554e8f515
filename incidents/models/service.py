from django.db import models

from oncall.models import EscalationPolicy, Team


class PagingHours(models.TextChoices):
    POLICY = "policy", "As each severity policy says"
    ALWAYS = "always", "At any hour, every severity (24/7)"


class Service(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    description = models.TextField(blank=True)
    runbook = models.TextField(blank=True, help_text="Markdown.")
    runbook_url = models.URLField(blank=True)
    runbook_reviewed_at = models.DateTimeField(null=True, blank=True)
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="Empty: the owning team's default policy.",
    )
    paging_hours = models.CharField(
        max_length=8, choices=PagingHours.choices, default=PagingHours.POLICY,
        help_text="Whether P3/P4 incidents opened outside the team's working hours wait for them before paging.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("declare_incident", "Can declare incidents on this service")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.escalation_policy_id and self.team_id and self.escalation_policy.team_id != self.team_id:
            raise ValidationError({"escalation_policy": "Choose one of the owning team's escalation policies."})
