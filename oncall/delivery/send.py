from oncall.delivery import mail, webhook
from oncall.models import Notification, NotificationChannel

CHANNELS = {
    NotificationChannel.EMAIL: mail.send,
    NotificationChannel.WEBHOOK: webhook.send,
}


def send(notification: Notification) -> None:
    """Send `notification` on its channel. Raises DeliveryError."""
    CHANNELS[notification.channel](notification)
