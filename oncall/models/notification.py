from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class NotificationKind(models.TextChoices):
    PAGE = "page", "Page"
    REMINDER = "reminder", "Reminder"
    NOTICE = "notice", "Notice"


class Notification(models.Model):
    """An outbox row: a message to one person on one channel, written in the same transaction as the
    change it reports. After commit a Celery task delivers it; a beat sweep re-sends rows whose delivery
    is more than a minute overdue, so a lost broker message or a killed worker delays it, never loses it.

    The idempotency key makes a retried step write its message once; it is also the delivery id receivers
    dedupe on. `topic` names what the message is about ("incident:42") without a foreign key, so other apps'
    records never become oncall's business; `data` is the structured part webhook receivers get.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices)
    kind = models.CharField(max_length=16, choices=NotificationKind.choices, default=NotificationKind.NOTICE)
    topic = models.CharField(max_length=100, blank=True, help_text='What it is about, e.g. "incident:42".')
    subject = models.CharField(max_length=255)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Structured details for webhook receivers.")
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Delivery attempts whose outcome was recorded.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next delivery attempt is due (pending rows only)."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The re-send sweep: pending rows whose attempt is overdue. Sent rows never enter this index.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status=NotificationStatus.PENDING), name="notification_due"
            ),
            models.Index(fields=["topic", "created_at"], name="notification_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}: {self.subject}"

    @property
    def delivery_id(self) -> str:
        """What the X-Watchkeeper-Delivery header carries: the same on every attempt, unique per message."""
        return self.idempotency_key
