"""Thin Celery tasks: each takes ids (or nothing) and calls one service. Scheduled in CELERY_BEAT_SCHEDULE."""

from celery import shared_task

from oncall import services
from oncall.services import notifications


@shared_task(bind=True, name="oncall.deliver_notification", max_retries=None)
def deliver_notification(self, notification_id: int) -> str:
    """Deliver one outbox row; a retryable failure comes back after the backoff the service chose."""
    outcome = notifications.notification_deliver(notification_id=notification_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="oncall.notifications_resend_pending")
def notifications_resend_pending() -> int:
    return notifications.notifications_resend_pending()


@shared_task(name="oncall.swap_requests_expire")
def swap_requests_expire() -> int:
    return services.swap_requests_expire()
