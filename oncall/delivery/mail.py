"""Email through Django's email backend (console by default, SMTP by settings)."""

from django.conf import settings
from django.core.mail import EmailMessage

from oncall.delivery.errors import DeliveryError
from oncall.models import Notification, OnCallProfile

# Message-IDs must be globally unique; the idempotency key is unique here, the domain makes it so elsewhere.
MESSAGE_ID_DOMAIN = "watchkeeper.invalid"


def address_of(notification: Notification) -> str:
    profile = OnCallProfile.objects.filter(user_id=notification.recipient_id).first()
    if profile is not None and profile.contact_email:
        return profile.contact_email
    return notification.recipient.email


def send(notification: Notification) -> None:
    to = address_of(notification)
    if not to:
        raise DeliveryError(f"{notification.recipient} has no email address.", permanent=True)
    body = notification.body + (f"\n\n{notification.link}\n" if notification.link else "\n")
    message = EmailMessage(
        subject=notification.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            # A retried attempt carries the same Message-ID, so mail clients show it once.
            "Message-ID": f"<{notification.delivery_id.replace(':', '.')}@{MESSAGE_ID_DOMAIN}>",
            "X-Watchkeeper-Delivery": notification.delivery_id,
            "X-Watchkeeper-Kind": notification.kind,
        },
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP and socket errors alike: the backend's own types vary
        raise DeliveryError(f"Email to {to} failed: {exc}") from exc
