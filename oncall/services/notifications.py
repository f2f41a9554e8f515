from django.db import transaction

from oncall.models import Notification, NotificationChannel, OnCallProfile


@transaction.atomic
def notification_enqueue(*, recipient, subject: str, body: str, idempotency_key: str, link: str = "") -> list:
    """Record a message to `recipient` in the outbox: always by email, and by webhook when their on-call
    profile has one. Guarantees: one row per (key, channel) however often it is called; rows commit or
    roll back with the caller's transaction. Delivery is a later sweep's job."""
    profile = OnCallProfile.objects.filter(user_id=recipient.pk).first()
    channels = [NotificationChannel.EMAIL]
    if profile and profile.webhook_url:
        channels.append(NotificationChannel.WEBHOOK)
    rows = []
    for channel in channels:
        row, _ = Notification.objects.get_or_create(
            idempotency_key=f"{idempotency_key}:{channel}"[:200],
            defaults={"recipient": recipient, "channel": channel, "subject": subject[:255], "body": body,
                      "link": link[:500]},
        )
        rows.append(row)
    return rows
