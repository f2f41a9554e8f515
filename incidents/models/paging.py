"""Paging records: every page sent for an incident, every update reminder, and the hand-off sweep's mark.

Each record is written in the same transaction as its outbox notifications and its timeline entry, and
unique constraints make each escalation page (incident, cycle, level) and each reminder (incident, due
time) exist at most once however many sweeps or retried tasks race for it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class PageKind(models.TextChoices):
    ESCALATION = "escalation", "Escalation"
    DIRECT = "direct", "Direct page"


class Page(models.Model):
    """One page: the people woken for an incident, and why (an escalation level, or a responder asking)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="pages")
    kind = models.CharField(max_length=16, choices=PageKind.choices)
    cycle = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The escalation cycle (1, then one more per reopen)."
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The escalation level's position.")
    target_label = models.CharField(max_length=200)
    recipients = models.JSONField(default=list, blank=True, help_text='[{"id": …, "name": …}] as paged.')
    due_at = models.DateTimeField(help_text="When the page was due (escalation), or asked for (direct).")
    paged_at = models.DateTimeField()
    paged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who paged directly; empty for escalation pages.",
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["paged_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "cycle", "level"],
                condition=Q(kind=PageKind.ESCALATION),
                name="one_page_per_escalation_level",
            ),
            models.CheckConstraint(
                condition=(Q(kind=PageKind.ESCALATION) & Q(cycle__isnull=False) & Q(level__isnull=False))
                | (Q(kind=PageKind.DIRECT) & Q(level__isnull=True)),
                name="escalation_page_has_cycle_and_level",
            ),
        ]
        indexes = [models.Index(fields=["incident", "paged_at"], name="page_incident_at")]

    def __str__(self) -> str:
        what = f"level {self.level}" if self.kind == PageKind.ESCALATION else "direct page"
        return f"Page of incident {self.incident_id} ({what}) at {self.paged_at:%Y-%m-%d %H:%M:%S} UTC"

    @property
    def recipient_names(self) -> str:
        return ", ".join(r.get("name", "?") for r in self.recipients) or "nobody"


class UpdateReminder(models.Model):
    """A reminder that a status update is due: once per incident and due time."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="update_reminders")
    due_at = models.DateTimeField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_reason = models.CharField(max_length=60, blank=True, help_text="Why this person was reminded.")
    reminded_at = models.DateTimeField()

    class Meta:
        ordering = ["incident", "due_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "due_at"], name="one_reminder_per_due_time")]

    def __str__(self) -> str:
        return f"Update reminder for incident {self.incident_id}, due {self.due_at:%Y-%m-%d %H:%M} UTC"


class SweepMark(models.Model):
    """How far a sweep that walks time (not rows) has got: the hand-off sweep looks at hand-offs after it."""

    name = models.CharField(max_length=60, unique=True)
    reached = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} reached {self.reached:%Y-%m-%d %H:%M:%S} UTC"
