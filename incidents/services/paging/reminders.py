"""Communication cadence: when an open incident's status update falls due, remind who owes it, once per due time."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import Incident, IncidentRole, RoleAssignment, TimelineEntry, TimelineKind, UpdateReminder
from incidents.models.incident import UPDATE_NOT_REMINDED
from incidents.services.paging import messages
from incidents.services.paging.escalation import TargetCache, levels_of
from oncall.models import NotificationKind
from oncall.services.notifications import OutboxMessage, notifications_enqueue_many

logger = logging.getLogger(__name__)

REASONS = {
    IncidentRole.COMMS_LEAD: "Communications Lead",
    IncidentRole.COMMANDER: "Incident Commander",
    "acknowledger": "acknowledger (no Communications Lead or Incident Commander is assigned)",
    "on_call": "first escalation level's on-call (nobody holds a role or acknowledged it)",
}


def reminder_recipient(incident: Incident, *, holders: dict[str, object], cache: TargetCache) -> tuple[object, str]:
    """The Communications Lead; else the Incident Commander; else whoever acknowledged; else the first
    escalation level's target now. (None, "") when there is nobody."""
    for role in (IncidentRole.COMMS_LEAD, IncidentRole.COMMANDER):
        if holders.get(role) is not None:
            return holders[role], REASONS[role]
    if incident.acknowledged_by_id and incident.acknowledged_by.is_active:
        return incident.acknowledged_by, REASONS["acknowledger"]
    for level in levels_of(incident):
        targets = cache.targets(level)
        if targets:
            return targets[0], REASONS["on_call"]
    return None, ""


def _holders(batch: list[Incident]) -> dict[int, dict[str, object]]:
    found: dict[int, dict[str, object]] = {incident.pk: {} for incident in batch}
    for assignment in RoleAssignment.objects.filter(
        incident_id__in=found, role__in=(IncidentRole.COMMS_LEAD, IncidentRole.COMMANDER), relieved_at__isnull=True,
        user__is_active=True,
    ).select_related("user"):
        found[assignment.incident_id][assignment.role] = assignment.user
    return found


def _remind_many(batch: list[Incident], *, now: dt.datetime, holders: dict, cache: TargetCache) -> int:
    """Remind who owes the update for each incident's current due time, in a handful of statements: the
    reminder rows (the unique (incident, due time) constraint has the last word), their outbox rows, their
    timeline entries and the reminded-for marks. Resolved incidents only get the mark."""
    reminders: list[UpdateReminder] = []
    outbox: list[OutboxMessage] = []
    entries: list[TimelineEntry] = []
    for incident in batch:
        incident.update_reminded_for = due = incident.next_update_due_at
        if not incident.is_open:
            continue
        recipient, reason = reminder_recipient(incident, holders=holders[incident.pk], cache=cache)
        reminders.append(UpdateReminder(
            incident=incident, due_at=due, recipient=recipient, recipient_reason=reason[:60], reminded_at=now
        ))
        if recipient is not None:
            subject, body = messages.update_reminder(incident, due_at=due, reason=reason)
            outbox.append(OutboxMessage(
                recipient=recipient, subject=subject, body=body, link=messages.incident_link(incident),
                kind=NotificationKind.REMINDER, topic=messages.topic(incident), channels=cache.channels(recipient),
                data={**messages.incident_data(incident), "update_due_at": due.isoformat()},
                idempotency_key=f"incident:{incident.pk}:update-due:{due.timestamp():.6f}:{recipient.pk}",
            ))
        who = f"{messages.name(recipient)} ({reason.split(' (')[0]})" if recipient else "nobody (no one to ask)"
        entries.append(TimelineEntry(
            incident=incident, kind=TimelineKind.UPDATE_REMINDER, actor=None, at=now,
            note=f"Status update due {messages.when(due, incident.service.team.tz)}: reminded {who}.",
            data={"due_at": due.isoformat(), "recipient": recipient.pk if recipient else None},
        ))
    UpdateReminder.objects.bulk_create(reminders)
    notifications_enqueue_many(outbox)
    TimelineEntry.objects.bulk_create(entries)
    if batch:
        Incident.objects.bulk_update(batch, ["update_reminded_for"])
    return len(reminders)


def _remind_batch(batch: list[Incident], *, now: dt.datetime, cache: TargetCache, failed: set[int]) -> int:
    """The whole batch in one savepoint; if anything fails, one incident per savepoint: one whose due time was
    already reminded (the unique constraint) just gets its mark, one that fails otherwise is retried next sweep."""
    holders = _holders(batch)
    try:
        with transaction.atomic():
            return _remind_many(batch, now=now, holders=holders, cache=cache)
    except Exception:
        logger.warning("Reminding a batch of %d failed; retrying one incident at a time", len(batch), exc_info=True)
    reminded = 0
    for incident in batch:
        try:
            with transaction.atomic():
                reminded += _remind_many([incident], now=now, holders=holders, cache=cache)
        except IntegrityError:
            Incident.objects.filter(pk=incident.pk).update(update_reminded_for=incident.next_update_due_at)
        except Exception:
            logger.exception("Could not remind incident %s; the next sweep retries", incident.pk)
            failed.add(incident.pk)
    return reminded


def due_reminders(now: dt.datetime) -> QuerySet[Incident]:
    """Incidents whose status update is due and not yet reminded for that due time, locked (SKIP LOCKED).
    Served by the partial index incident_update_due (a reminded due time leaves it)."""
    return (
        Incident.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("service__team", "acknowledged_by")
        .filter(UPDATE_NOT_REMINDED, next_update_due_at__lte=now)
        .order_by("next_update_due_at")
    )


def update_reminders_sweep(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Sweep: remind who owes the status update of every open incident whose update is due and was not yet
    reminded for that due time. Returns the number of reminders. Guarantees: due rows come through the
    partial index with FOR UPDATE SKIP LOCKED; the unique (incident, due time) constraint and the
    update_reminded_for mark make each due time remind once, even with two sweeps; a failing incident is
    logged and retried next sweep without holding up the rest."""
    now = now or timezone.now()
    cache = TargetCache(now)
    reminded = 0
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            batch = list(due_reminders(now).exclude(pk__in=failed)[:batch_size])
            reminded += _remind_batch(batch, now=now, cache=cache, failed=failed)
        if len(batch) < batch_size:
            return reminded
