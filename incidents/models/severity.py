import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models


class Severity(models.TextChoices):
    P1 = "P1", "P1 — Critical"
    P2 = "P2", "P2 — High"
    P3 = "P3", "P3 — Medium"
    P4 = "P4", "P4 — Low"


class SeverityPolicy(models.Model):
    """Response targets per severity, seeded with the guide's defaults and editable in the admin."""

    severity = models.CharField(max_length=2, choices=Severity.choices, unique=True)
    description = models.CharField(max_length=200, blank=True)
    ack_target = models.DurationField(
        help_text="Time to acknowledge. With business hours, whole days count as working days."
    )
    ack_business_hours = models.BooleanField(
        default=False, help_text="Count only the owning team's working hours (P3/P4 in the guide)."
    )
    update_cadence = models.DurationField(
        null=True, blank=True, help_text="How often status updates are due while open; empty = none."
    )
    required_roles = models.JSONField(default=list, blank=True)
    page_leadership = models.BooleanField(default=False)
    page_outside_working_hours = models.BooleanField(
        default=True,
        help_text="Page at any hour. Off: an incident opened outside the team's working hours pages nobody "
        "until they begin (the guide: 24/7 for P1/P2, business hours for P3/P4).",
    )

    class Meta:
        ordering = ["severity"]
        verbose_name_plural = "severity policies"

    def __str__(self) -> str:
        return self.get_severity_display()

    def clean(self) -> None:
        from incidents.models.roles import IncidentRole

        if self.ack_target is not None and self.ack_target <= dt.timedelta(0):
            raise ValidationError({"ack_target": "The acknowledgement target must be positive."})
        if self.update_cadence is not None and self.update_cadence < dt.timedelta(minutes=1):
            raise ValidationError({"update_cadence": "A cadence shorter than a minute is not useful."})
        unknown = set(self.required_roles or []) - set(IncidentRole.values)
        if unknown:
            raise ValidationError({"required_roles": f"Unknown roles: {', '.join(sorted(unknown))}."})


GUIDE_DEFAULTS = {
    "P1": dict(
        description="Complete outage or critical functionality unavailable",
        ack_target=dt.timedelta(minutes=5),
        ack_business_hours=False,
        update_cadence=dt.timedelta(minutes=30),
        required_roles=["commander", "tech_lead", "scribe", "comms_lead"],
        page_leadership=True,
    ),
    "P2": dict(
        description="Major functionality degraded or many users affected",
        ack_target=dt.timedelta(minutes=15),
        ack_business_hours=False,
        update_cadence=dt.timedelta(hours=1),
        required_roles=["commander"],
        page_leadership=False,
    ),
    "P3": dict(
        description="Partial degradation, workaround available",
        ack_target=dt.timedelta(hours=4),
        ack_business_hours=True,
        update_cadence=dt.timedelta(days=1),
        required_roles=[],
        page_leadership=False,
    ),
    "P4": dict(
        description="Minor or cosmetic issue",
        ack_target=dt.timedelta(days=1),
        ack_business_hours=True,
        update_cadence=None,
        required_roles=[],
        page_leadership=False,
    ),
}


# Kept apart from GUIDE_DEFAULTS, which migration 0003 seeds from (its historical model has no such field).
PAGES_AT_ANY_HOUR = {"P1": True, "P2": True, "P3": False, "P4": False}
