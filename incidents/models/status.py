from django.conf import settings
from django.db import models


class UpdateAudience(models.TextChoices):
    INTERNAL = "internal", "Internal stakeholders"
    EXTERNAL = "external", "Status page (public)"


class StatusUpdate(models.Model):
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="status_updates")
    audience = models.CharField(max_length=10, choices=UpdateAudience.choices, default=UpdateAudience.INTERNAL)
    body = models.TextField()
    state = models.CharField(max_length=16, help_text="The incident's state when posted.")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField()

    class Meta:
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["incident", "audience", "-posted_at"], name="statusupdate_feed")]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} update on {self.incident_id} at {self.posted_at:%Y-%m-%d %H:%M}"
