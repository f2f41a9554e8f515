from django.conf import settings
from django.db import models

from oncall.models.rotation import Rotation


class HandoffNote(models.Model):
    """What the outgoing on-call tells the incoming one (the guide's hand-off checklist)."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="handoff_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    shift_start = models.DateTimeField(help_text="The hand-off this note is for: when the incoming shift starts.")
    open_incidents = models.TextField(blank=True, help_text="Open incidents and their status.")
    ongoing_issues = models.TextField(blank=True, help_text="Ongoing issues or concerns.")
    scheduled_changes = models.TextField(blank=True, help_text="Scheduled changes in the next 24 hours.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rotation", "-shift_start", "-created_at"]
        indexes = [models.Index(fields=["rotation", "-shift_start", "-created_at"], name="handoff_latest")]

    def __str__(self) -> str:
        return f"Hand-off note for {self.rotation} at {self.shift_start:%Y-%m-%d %H:%M} UTC"
