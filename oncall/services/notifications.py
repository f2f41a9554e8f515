"""The notification outbox: writing messages, delivering them, re-sending what a lost task left behind.

Guarantees (docs/paging.md):
- one row per (idempotency key, channel), written in the caller's transaction;
- after commit a Celery task is asked to deliver each new row; if the broker is down the rows stay pending
  and `notifications_resend_pending` asks again once they are a minute overdue;
- a delivery marks the row sent under its row lock, so two deliverers never both send it while both are
  alive; a deliverer that dies mid-send leaves it pending and it is sent again with the same delivery id
  (at-least-once delivery, receivers dedupe on X-Watchkeeper-Delivery).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.errors import ConflictError
from oncall import delivery
from oncall.delivery.guards import reason_not_to_send
from oncall.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    OnCallProfile,
    TeamMembership,
)
from oncall.selectors import teams_managed_by

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 15 * 60


def channels_for(recipient) -> list[str]:
    """Email always; webhook too when the recipient's on-call profile has a URL."""
    webhook_url = OnCallProfile.objects.filter(user_id=recipient.pk).values_list("webhook_url", flat=True).first()
    return [NotificationChannel.EMAIL, NotificationChannel.WEBHOOK] if webhook_url else [NotificationChannel.EMAIL]


@dataclass(frozen=True)
class OutboxMessage:
    """One message for notifications_enqueue_many; `channels` None means "look them up" (channels_for)."""

    recipient: object
    subject: str
    body: str
    idempotency_key: str
    link: str = ""
    kind: str = NotificationKind.NOTICE
    topic: str = ""
    data: dict | None = None
    channels: tuple[str, ...] | list[str] | None = None


def notification_enqueue(
    *,
    recipient,
    subject: str,
    body: str,
    idempotency_key: str,
    link: str = "",
    kind: str = NotificationKind.NOTICE,
    topic: str = "",
    data: dict | None = None,
    channels: list[str] | None = None,
) -> list[Notification]:
    """Record a message to `recipient` in the outbox: always by email, and by webhook when their on-call
    profile has one. Guarantees: one row per (key, channel) however often it is called; rows commit or
    roll back with the caller's transaction; after commit each pending row is handed to a delivery task (and
    if that hand-over is lost, the re-send sweep takes over)."""
    return notifications_enqueue_many([
        OutboxMessage(recipient=recipient, subject=subject, body=body, idempotency_key=idempotency_key, link=link,
                      kind=kind, topic=topic, data=data, channels=channels)
    ])


# No savepoint of its own: a failure here fails the caller's step, which is what callers want.
@transaction.atomic(savepoint=False)
def notifications_enqueue_many(messages: list[OutboxMessage]) -> list[Notification]:
    """notification_enqueue for many messages in three statements (a sweep paging a thousand incidents writes
    its outbox rows at once), with the same guarantees. Returns the stored rows, by key and channel."""
    now = timezone.now()
    rows = [
        Notification(
            recipient=m.recipient, channel=channel, kind=m.kind, topic=m.topic[:100], subject=m.subject[:255],
            body=m.body, link=m.link[:500], data=m.data or {}, idempotency_key=f"{m.idempotency_key}:{channel}"[:200],
            next_attempt_at=now,
        )
        for m in messages
        for channel in (m.channels if m.channels is not None else channels_for(m.recipient))
    ]
    if not rows:
        return []
    # One INSERT … ON CONFLICT DO NOTHING, then one read of what the keys hold (ours or an earlier call's).
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    stored = list(Notification.objects.filter(idempotency_key__in=[row.idempotency_key for row in rows]))
    pending = [row.pk for row in stored if row.status == NotificationStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: notifications_dispatch(pending), robust=True)
    return sorted(stored, key=lambda row: row.idempotency_key)


def notifications_dispatch(notification_ids: list[int]) -> int:
    """Ask the broker to deliver these rows; returns how many were handed over. Never raises: when the
    broker is unreachable the rows stay pending and the re-send sweep hands them over later."""
    from oncall.tasks import deliver_notification

    handed = 0
    try:
        # One producer (one broker channel) for the whole list: a sweep hands over hundreds at a time.
        with deliver_notification.app.producer_or_acquire() as producer:
            for pk in notification_ids:
                deliver_notification.apply_async((pk,), producer=producer)
                handed += 1
    except Exception:  # kombu's connection errors vary by transport; the rest would only wait for the same timeout
        logger.warning("Broker unreachable: %d notifications stay pending for the re-send sweep",
                       len(notification_ids) - handed)
    return handed


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # a NotificationStatus, or "skipped" when another deliverer holds the row
    retry_in: float | None = None  # seconds until the next attempt, when it failed and will be retried


SKIPPED = "skipped"


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff after `attempts` failed attempts: 10 s, 20 s, 40 s … capped at 15 min, ±10 %."""
    base = min(BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1), BACKOFF_MAX_SECONDS)
    return base * random.uniform(0.9, 1.1)  # noqa: S311 — jitter, not cryptography


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> DeliveryOutcome:
    """Send one pending notification. Guarantees: the row is locked (SKIP LOCKED: if another deliverer holds
    it, this call does nothing) and stays locked while sending, and it is marked sent in that same
    transaction, so it is sent once while deliverers stay alive. A deliverer killed mid-send rolls back
    and leaves it pending for a later attempt with the same delivery id. Rows no longer pending, and rows a
    registered guard vetoes (marked cancelled), are not sent. A failed attempt is recorded with its error;
    retryable failures get the next attempt time (exponential backoff) until NOTIFICATION_MAX_ATTEMPTS,
    then the row is failed."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if row is None:
            return DeliveryOutcome(SKIPPED)
        if row.status != NotificationStatus.PENDING:
            return DeliveryOutcome(row.status)
        now = now or timezone.now()
        reason = reason_not_to_send(row)
        if reason:
            _finish(row, status=NotificationStatus.CANCELLED, error=reason)
            return DeliveryOutcome(row.status)
        row.attempts += 1
        row.last_attempt_at = now
        try:
            delivery.send(row)
        except delivery.DeliveryError as exc:
            if exc.permanent or row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                _finish(row, status=NotificationStatus.FAILED, error=exc.message)
                logger.warning("Notification %s failed for good: %s", row.pk, exc.message)
                return DeliveryOutcome(row.status)
            delay = backoff_seconds(row.attempts)
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
            row.last_error = exc.message[:2000]
            row.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at", "last_error"])
            return DeliveryOutcome(row.status, retry_in=delay)
        row.sent_at = timezone.now()
        _finish(row, status=NotificationStatus.SENT, error="")
        return DeliveryOutcome(row.status)


def _finish(row: Notification, *, status: str, error: str) -> None:
    row.status = status
    row.last_error = error[:2000]
    row.next_attempt_at = None
    row.save(update_fields=["status", "last_error", "next_attempt_at", "attempts", "last_attempt_at", "sent_at"])


def overdue_notifications(cutoff: dt.datetime) -> QuerySet[Notification]:
    """Pending rows whose attempt was due before `cutoff`, locked (SKIP LOCKED: rows being delivered right now
    are left alone). Served by the partial index notification_due (sent rows are not in it)."""
    return (
        Notification.objects.select_for_update(skip_locked=True)
        .filter(status=NotificationStatus.PENDING, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
    )


def notifications_resend_pending(*, now: dt.datetime | None = None, batch_size: int = 1000) -> int:
    """Sweep: hand pending rows whose attempt is overdue by more than NOTIFICATION_RESEND_AFTER_SECONDS back
    to the broker (their task was lost: broker outage, killed worker, a publish that failed after commit).
    Returns how many. Guarantees: rows being delivered right now (locked) are skipped; each handed-over row's
    next attempt moves to now, so it is not handed over again for another minute; two sweeps at once hand
    each row over once."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.NOTIFICATION_RESEND_AFTER_SECONDS)
    with transaction.atomic():
        due = list(overdue_notifications(cutoff).values_list("pk", flat=True)[:batch_size])
        if not due:
            return 0
        Notification.objects.filter(pk__in=due).update(next_attempt_at=now)
        transaction.on_commit(lambda: notifications_dispatch(due), robust=True)
    logger.info("Re-sending %d overdue notifications", len(due))
    return len(due)


def notifications_cancel_pending(*, topics: list[str], reason: str, kind: str | None = None,
                                 key_prefixes: list[str] | None = None) -> int:
    """Cancel pending outbox rows about these topics (optionally of one kind, and only keys starting with one
    of `key_prefixes`), recording `reason`; returns how many. Guarantees: rows a deliverer holds right now are
    skipped (SKIP LOCKED), never waited for — that deliverer still asks the registered guards before sending,
    so callers that must stop a message also register a guard that refuses it; sent rows are never touched."""
    if not topics:
        return 0
    with transaction.atomic():
        rows = Notification.objects.select_for_update(skip_locked=True).filter(
            topic__in=topics, status=NotificationStatus.PENDING
        )
        if kind is not None:
            rows = rows.filter(kind=kind)
        if key_prefixes:
            matches = Q()
            for prefix in key_prefixes:
                matches |= Q(idempotency_key__startswith=prefix)
            rows = rows.filter(matches)
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                status=NotificationStatus.CANCELLED, last_error=reason[:2000], next_attempt_at=None
            )
    return len(ids)


def can_retry_notification(user, notification: Notification) -> bool:
    """Superusers, and managers of a team the recipient belongs to."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return TeamMembership.objects.filter(
        user_id=notification.recipient_id, team__in=teams_managed_by(user)
    ).exists()


@transaction.atomic
def notification_retry(*, notification: Notification | int, user) -> Notification:
    """A manager sends a failed (or cancelled) notification again: it becomes pending with a fresh attempt
    budget and is handed to the broker after commit (a guard may still cancel it, e.g. a page for an
    incident acknowledged since). Raises PermissionDenied unless `user` manages a team the recipient belongs
    to (or is a superuser), ConflictError if it was sent or is still pending."""
    pk = notification.pk if isinstance(notification, Notification) else notification
    row = Notification.objects.select_for_update().get(pk=pk)
    if not can_retry_notification(user, row):
        raise PermissionDenied("Only a manager of the recipient's team can retry this notification.")
    if row.status not in (NotificationStatus.FAILED, NotificationStatus.CANCELLED):
        raise ConflictError(f"This notification is {row.get_status_display().lower()}; only failed or cancelled "
                            "ones can be retried.")
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = timezone.now()
    row.last_error = f"Retried by {user.get_username()}; previously: {row.last_error}"[:2000]
    row.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
    transaction.on_commit(lambda: notifications_dispatch([row.pk]), robust=True)
    return row
