from django.conf import settings
from django.db import models


class TimelineKind(models.TextChoices):
    DECLARED = "declared", "Declared"
    TRANSITION = "transition", "State changed"
    SEVERITY = "severity", "Severity changed"
    ROLE = "role", "Role assigned"
    ROLE_RELIEVED = "role_relieved", "Role handed over"
    STATUS_UPDATE = "status_update", "Status update posted"
    NOTE = "note", "Note"
    EDIT = "edit", "Details edited"
    DEDUPLICATED = "deduplicated", "Duplicate alert"
    SERVICE = "service", "Service changed"
    PAGE = "page", "Paged"
    ESCALATION = "escalation", "Escalation"
    ACK_BREACH = "ack_breach", "Acknowledgement SLA breached"
    UPDATE_REMINDER = "update_reminder", "Update reminder sent"
    NOISE_VERDICT = "noise_verdict", "Noise verdict"
    HEARTBEAT = "heartbeat", "Heartbeat"


class ImmutableTimelineError(Exception):
    pass


class TimelineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableTimelineError("Timeline entries are append-only.")

    def delete(self):
        raise ImmutableTimelineError("Timeline entries are append-only.")


class TimelineEntry(models.Model):
    """An immutable record of something that happened to an incident."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "at"], name="timeline_incident_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ImmutableTimelineError("Timeline entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableTimelineError("Timeline entries are append-only.")

    @property
    def actor_name(self) -> str:
        if self.actor is None:
            return "Watchkeeper"
        return self.actor.get_full_name() or self.actor.get_username()
