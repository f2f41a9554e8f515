from django.conf import settings
from django.db import models
from django.db.models import Q


class IncidentRole(models.TextChoices):
    COMMANDER = "commander", "Incident Commander"
    TECH_LEAD = "tech_lead", "Technical Lead"
    COMMS_LEAD = "comms_lead", "Communications Lead"
    SCRIBE = "scribe", "Scribe"
    SME = "sme", "Subject Matter Expert"


SINGLE_HOLDER_ROLES = (IncidentRole.COMMANDER, IncidentRole.TECH_LEAD, IncidentRole.COMMS_LEAD, IncidentRole.SCRIBE)


class RoleAssignment(models.Model):
    """Who holds a role on an incident. A hand-over relieves the old holder (kept for the record)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=IncidentRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_roles")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()
    relieved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(relieved_at__isnull=True) & ~Q(role=IncidentRole.SME),
                name="one_active_holder_per_role",
            ),
            models.UniqueConstraint(
                fields=["incident", "role", "user"],
                condition=Q(relieved_at__isnull=True),
                name="no_duplicate_active_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"
