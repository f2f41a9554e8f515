"""Escalation: the frozen policy, the due level, the page.

An incident carries its policy's snapshot (frozen at declaration), the current escalation cycle (1, plus one
per reopen), when the cycle started, and `next_escalation_at`: the due time of the next level, or empty when
nothing is left to page. Lifecycle services call the hooks below inside their transaction, so acknowledging
and paging can never both win: whichever locks the incident row first decides, and the other sees it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import ConflictError
from incidents.maintenance_selectors import occurrence_covering
from incidents.models import Incident, IncidentState, Page, PageKind, TimelineEntry, TimelineKind
from incidents.models.incident import ESCALATION_DUE
from incidents.selectors import can_act_on_incident
from incidents.services.paging import holds, messages, urgency
from oncall.models import NotificationKind
from oncall.selectors import escalation_levels_for, escalation_policy_default, escalation_targets
from oncall.services.notifications import OutboxMessage, channels_for, notifications_enqueue_many

logger = logging.getLogger(__name__)


def levels_of(incident: Incident) -> list[dict]:
    """The frozen levels that apply to the incident's current severity (a P1-only level joins if raised to P1)."""
    return escalation_levels_for(incident.escalation_snapshot or [], incident.severity)


def level_due_at(incident: Incident, level: dict) -> dt.datetime:
    return incident.escalation_started_at + dt.timedelta(seconds=level["delay_seconds"])


def is_escalating(incident: Incident) -> bool:
    """Whether the current cycle is running: started, not stopped, the incident open."""
    return incident.is_open and incident.escalation_started_at is not None and incident.escalation_ended_at is None


def _next_due(incident: Incident, paged: set[int]) -> dt.datetime | None:
    if not is_escalating(incident):
        return None
    return min((level_due_at(incident, lv) for lv in levels_of(incident) if lv["position"] not in paged), default=None)


def _paged_levels(incident: Incident) -> set[int]:
    return set(
        Page.objects.filter(
            incident=incident, kind=PageKind.ESCALATION, cycle=incident.escalation_cycle
        ).values_list("level", flat=True)
    )


def kick(incident_id: int) -> None:
    """Ask a worker to escalate this incident now (after commit). Never raises: if the broker is down, the
    paging sweep finds the due level on its next run once the broker is back."""
    from incidents.tasks import escalate_incident

    try:
        escalate_incident.apply_async((incident_id,))
    except Exception:  # kombu's connection errors vary by transport
        logger.warning("Broker unreachable: incident %s escalates with the next paging sweep", incident_id)


# --- hooks the lifecycle services call inside their transaction ----------------------------------------------


def escalation_freeze(incident: Incident) -> None:
    """At declaration, before the first save: freeze the service's escalation policy (or the team's default)
    onto the incident and make level 1 due at detection. The caller kicks a worker after commit."""
    service = incident.service
    policy = service.escalation_policy if service.escalation_policy_id else escalation_policy_default(service.team)
    incident.escalation_policy_name = policy.name if policy else ""
    incident.escalation_snapshot = policy.snapshot() if policy else []
    incident.escalation_cycle = 1
    cycle_start(incident, at=incident.detected_at)


_LOOK_UP = object()


def cycle_start(incident: Incident, *, at: dt.datetime, occurrence=_LOOK_UP) -> None:
    """In memory: start the current cycle at `at`, so level 1 is due then. In maintenance (`occurrence`, looked
    up unless given) the cycle is held until the window ends instead; outside the team's working hours, for a
    severity that waits for them (urgency hours), level delays count from when they begin. Writes nothing; the
    caller saves and adds holds.paging_wait_note."""
    incident.escalation_started_at = at
    incident.escalation_ended_at = None
    holds.release(incident)
    if levels_of(incident):
        if occurrence is _LOOK_UP:
            occurrence = occurrence_covering(incident.service, at=at)
        if occurrence is not None:
            holds.hold(incident, occurrence, now=at)
            return
        until = urgency.deferral_until(incident, at)
        if until is not None:
            incident.escalation_started_at = until
            incident.paging_deferred_until = until
    incident.next_escalation_at = _next_due(incident, set())


def escalation_after_transition(incident: Incident, *, action: str, user, now: dt.datetime) -> None:
    """On the locked incident, after the transition is saved and on the timeline. Reopening starts a new
    cycle from level 1 (a worker is kicked after commit; its pages say which cycle); any other step a person
    takes (acknowledge, resolve, close, and on a reopened incident investigate, identify, mitigate) stops the
    running cycle. The transition's own timeline entry records the step, so none is added here."""
    if action == "reopen":
        if not incident.escalation_snapshot:
            return
        incident.escalation_cycle += 1
        cycle_start(incident, at=now)
        holds.paging_wait_note(incident, at=now)
        if incident.next_escalation_at is not None:
            transaction.on_commit(lambda pk=incident.pk: kick(pk), robust=True)
    else:
        stopped = _stop(incident, now=now)
        # A person acted (or the incident ended): a maintenance hold or a deferral has nothing left to page.
        if not holds.release(incident) and not stopped:
            return
    _save_escalation(incident)


def _save_escalation(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        escalation_cycle=incident.escalation_cycle,
        escalation_started_at=incident.escalation_started_at,
        escalation_ended_at=incident.escalation_ended_at,
        next_escalation_at=incident.next_escalation_at,
        paging_deferred_until=incident.paging_deferred_until,
        paging_held_until=incident.paging_held_until,
        maintenance_window=incident.maintenance_window_id,
    )


def _stop(incident: Incident, *, now: dt.datetime) -> bool:
    if incident.escalation_started_at is None or incident.escalation_ended_at is not None:
        return False
    incident.escalation_ended_at = now
    incident.next_escalation_at = None
    return True


def escalation_after_severity_change(incident: Incident) -> None:
    """On the locked incident, before it is saved: the levels that apply may change (a P1-only level joins
    when raised to P1), so the next due time is recomputed; a worker is kicked after commit."""
    if not is_escalating(incident):
        return
    now = timezone.now()
    if incident.paging_deferred_until and incident.escalation_started_at > now \
            and urgency.deferral_until(incident, now) is None:
        # Raised to a severity that pages at any hour: the deferred cycle starts now.
        incident.escalation_started_at = now
        incident.paging_deferred_until = None
        TimelineEntry.objects.create(
            incident=incident, kind=TimelineKind.ESCALATION, actor=None, at=now,
            note=f"{incident.severity} pages at any hour: paging starts now instead of waiting for working hours.",
            data={"event": "deferral_lifted", "cycle": incident.escalation_cycle},
        )
    incident.next_escalation_at = _next_due(incident, _paged_levels(incident))
    if incident.next_escalation_at is not None:
        transaction.on_commit(lambda pk=incident.pk: kick(pk), robust=True)


def incident_page_acknowledge(*, incident: Incident | int, user) -> Incident:
    """Acknowledge the page of a running escalation cycle: stops it, with a timeline entry. For an incident
    still detected this is the lifecycle acknowledgement itself; after a reopen (the incident is already
    investigating) only the escalation stops. Raises PermissionDenied, ConflictError (nothing is escalating)."""
    from incidents.services.transitions import incident_acknowledge

    pk = incident.pk if isinstance(incident, Incident) else incident
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)
        if not can_act_on_incident(user, locked):
            raise PermissionDenied("You may not act on this incident.")
        if locked.state != IncidentState.DETECTED:
            if not is_escalating(locked):
                raise ConflictError(f"No escalation is running for {locked.reference}.")
            now = timezone.now()
            _stop(locked, now=now)
            _save_escalation(locked)
            TimelineEntry.objects.create(
                incident=locked, kind=TimelineKind.ESCALATION, actor=user, at=now,
                note=f"Page acknowledged by {messages.name(user)}: escalation cycle {locked.escalation_cycle} stopped.",
                data={"cycle": locked.escalation_cycle, "event": "stopped"},
            )
            return locked
    return incident_acknowledge(incident=pk, user=user)


# --- paging due levels -----------------------------------------------------------------------------------------


class TargetCache:
    """Who each level pages at one instant, and on which channels, resolved once per sweep: many incidents
    share a policy and the same few people."""

    def __init__(self, at: dt.datetime):
        self.at = at
        self._found: dict[tuple, list] = {}
        self._channels: dict[int, list[str]] = {}

    def targets(self, level: dict) -> list:
        key = (level["target_kind"], level.get("rotation_id"), level.get("user_id"), level.get("role"),
               level.get("team_id"))
        if key not in self._found:
            self._found[key] = [u for u in escalation_targets(level, at=self.at) if u.is_active]
        return self._found[key]

    def channels(self, user) -> list[str]:
        if user.pk not in self._channels:
            self._channels[user.pk] = channels_for(user)
        return self._channels[user.pk]


@dataclass
class DueLevel:
    """A level to page now, with whom (resolved at this instant)."""

    incident: Incident
    level: dict
    due: dt.datetime
    recipients: list
    total: int


def plan_escalation(incident: Incident, *, now: dt.datetime, cache: TargetCache, paged: set[int]) -> list[DueLevel]:
    """Which levels of the current cycle to page now: every level that is due and not yet paged. Moves
    `incident.next_escalation_at` (in memory) to the next level's due time, or empty. A level that finds nobody
    to page makes the next level due at once, so an empty rotation never swallows a page. Writes nothing."""
    planned: list[DueLevel] = []
    if is_escalating(incident):
        levels = levels_of(incident)
        ordered = sorted(levels, key=lambda lv: (level_due_at(incident, lv), lv["position"]))
        fall_through = False
        for level in ordered:
            if level["position"] in paged:
                continue
            due = level_due_at(incident, level)
            if due > now and not fall_through:
                break
            recipients = cache.targets(level)
            planned.append(DueLevel(incident, level, min(due, now), recipients, len(levels)))
            paged.add(level["position"])
            fall_through = not recipients
    incident.next_escalation_at = _next_due(incident, paged)
    return planned


def write_escalation(incidents: list[Incident], planned: list[DueLevel], *, now: dt.datetime,
                     cache: TargetCache) -> list[Page]:
    """Record planned pages in a handful of statements whatever their number: the Page rows (the unique
    (incident, cycle, level) constraint has the last word), their outbox rows, their timeline entries, and
    each incident's next due time. The caller holds the incidents' row locks."""
    pages = Page.objects.bulk_create([
        Page(
            incident=d.incident, kind=PageKind.ESCALATION, cycle=d.incident.escalation_cycle,
            level=d.level["position"], target_label=d.level["target_label"][:200], due_at=d.due, paged_at=now,
            recipients=[{"id": u.pk, "name": messages.name(u)} for u in d.recipients],
        )
        for d in planned
    ])
    outbox: list[OutboxMessage] = []
    entries: list[TimelineEntry] = []
    for d, page in zip(planned, pages, strict=True):
        incident, level, cycle = d.incident, d.level, d.incident.escalation_cycle
        subject, body = messages.escalation_page(incident, level=level, total_levels=d.total, cycle=cycle)
        data = {
            **messages.incident_data(incident), "page_id": page.pk, "page_kind": PageKind.ESCALATION,
            "cycle": cycle, "level": level["position"], "target": level["target_label"], "due_at": d.due.isoformat(),
        }
        outbox += [
            OutboxMessage(
                recipient=user, subject=subject, body=body, link=messages.incident_link(incident),
                kind=NotificationKind.PAGE, topic=messages.topic(incident), data=data, channels=cache.channels(user),
                idempotency_key=f"incident:{incident.pk}:page:{cycle}:{level['position']}:{user.pk}",
            )
            for user in d.recipients
        ]
        who = page.recipient_names if d.recipients else "nobody is on call for it, so the next level is paged now"
        again = f" (escalation cycle {cycle}, after the reopen)" if cycle > 1 else ""
        entries.append(TimelineEntry(
            incident=incident, kind=TimelineKind.PAGE, actor=None, at=now,
            note=f"Level {level['position']} ({level['target_label']}): paged {who}{again}.",
            data={"page": page.pk, "cycle": cycle, "level": level["position"],
                  "recipients": [u.pk for u in d.recipients]},
        ))
    notifications_enqueue_many(outbox)
    TimelineEntry.objects.bulk_create(entries)
    if incidents:
        Incident.objects.bulk_update(incidents, ["next_escalation_at"])
    return pages


def escalate_locked(incident: Incident, *, now: dt.datetime, cache: TargetCache, paged: set[int]) -> list[Page]:
    """Page every level of the current cycle that is due and not yet paged, for one locked incident."""
    return write_escalation([incident], plan_escalation(incident, now=now, cache=cache, paged=paged), now=now,
                            cache=cache)


def incident_escalate(*, incident_id: int, now: dt.datetime | None = None) -> int:
    """Page what is due for one incident now (the task kicked after declare, reopen or a severity change).
    Returns the number of pages. Guarantees: the row is locked with SKIP LOCKED, so if a sweep or another
    task is on it this call does nothing and they page it; due levels are paged once."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("service__team")
            .filter(ESCALATION_DUE, pk=incident_id, next_escalation_at__lte=now)
            .first()
        )
        if incident is None or not holds.hold_covered([incident], now=now):
            return 0
        return len(escalate_locked(incident, now=now, cache=TargetCache(now), paged=_paged_levels(incident)))


def due_escalations(now: dt.datetime) -> QuerySet[Incident]:
    """Incidents with a level due, oldest first, locked; rows another transaction holds are skipped. Served by
    the partial index incident_escalation_due (only rows with a next level at all are in it)."""
    return (
        Incident.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("service__team")
        .filter(ESCALATION_DUE, next_escalation_at__lte=now)
        .order_by("next_escalation_at")
    )


def _escalate_batch(batch: list[Incident], *, now, cache: TargetCache, paged: dict[int, set[int]],
                    failed: set[int]) -> int:
    """The whole batch in one savepoint and a handful of statements; if anything in it fails, again one
    incident per savepoint, so one bad incident is logged (and retried next sweep) without holding up the rest."""
    try:
        with transaction.atomic():
            planned = [
                due for incident in batch
                for due in plan_escalation(incident, now=now, cache=cache, paged=set(paged[incident.pk]))
            ]
            return len(write_escalation(batch, planned, now=now, cache=cache))
    except Exception:
        logger.warning("Escalating a batch of %d failed; retrying one incident at a time", len(batch), exc_info=True)
    written = 0
    for incident in batch:
        try:
            with transaction.atomic():
                written += len(escalate_locked(incident, now=now, cache=cache, paged=set(paged[incident.pk])))
        except Exception:
            logger.exception("Could not escalate incident %s; the next sweep retries", incident.pk)
            failed.add(incident.pk)
    return written


def escalations_sweep(*, now: dt.datetime | None = None, batch_size: int = 100) -> int:
    """Sweep: page every level that is due on any incident. Returns the number of pages written.

    Guarantees: selects due incidents through the partial index with FOR UPDATE SKIP LOCKED, in batches, so
    two sweeps (or a sweep and a kicked task) split the work instead of doubling it; a failing incident is
    logged and retried next sweep without holding up the rest; outbox rows and timeline entries commit with
    the page."""
    now = now or timezone.now()
    cache = TargetCache(now)
    failed: set[int] = set()
    written = 0
    while True:
        with transaction.atomic():
            selected = list(due_escalations(now).exclude(pk__in=failed)[:batch_size])
            # Services in maintenance page nobody, even before the maintenance sweep got to them.
            batch = holds.hold_covered(selected, now=now)
            cycles = {incident.pk: incident.escalation_cycle for incident in batch}
            paged: dict[int, set[int]] = {pk: set() for pk in cycles}
            for page in Page.objects.filter(incident_id__in=cycles, kind=PageKind.ESCALATION).values(
                "incident_id", "cycle", "level"
            ):
                if page["cycle"] == cycles[page["incident_id"]]:
                    paged[page["incident_id"]].add(page["level"])
            written += _escalate_batch(batch, now=now, cache=cache, paged=paged, failed=failed)
        if len(selected) < batch_size:
            return written
