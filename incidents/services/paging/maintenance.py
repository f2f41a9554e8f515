"""Maintenance windows in the paging sweep: holding escalations when a window starts, starting them again
from level 1 when it ends. Both are due work in indexed columns (`MaintenanceWindow.next_start_at`,
`Incident.paging_held_until`), selected with FOR UPDATE SKIP LOCKED like the rest of the sweep."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from incidents.maintenance_selectors import covering_occurrences
from incidents.models import OPEN_STATES, Incident, MaintenanceWindow, Occurrence, TimelineEntry, TimelineKind
from incidents.models.incident import MAINTENANCE_HOLD
from incidents.models.maintenance import MAINTENANCE_START_DUE
from incidents.services.paging import holds, urgency
from incidents.services.paging.escalation import _paged_levels, cycle_start, kick

logger = logging.getLogger(__name__)


def window_apply(window: MaintenanceWindow, occurrence: Occurrence, *, now: dt.datetime) -> int:
    """An occurrence has started: hold every running escalation of the window's services (their queued pages
    are cancelled). Returns how many incidents were held."""
    services = [window.service] if window.service_id else list(window.team.services.all())
    incidents = list(
        Incident.objects.select_for_update(of=("self",))
        .select_related("service__team")
        # Only the window's team's services, as covering_occurrences decides: a service moved to another team
        # since the window was planned is no longer the old team's to silence.
        .filter(service__in=services, service__team_id=window.team_id, state__in=OPEN_STATES,
                escalation_started_at__isnull=False, escalation_ended_at__isnull=True)
        .exclude(escalation_snapshot=[])  # no policy: nothing to hold
        .order_by("pk")
    )
    return holds.holds_write([(incident, occurrence) for incident in incidents], now=now)


def window_advance(window: MaintenanceWindow, *, now: dt.datetime) -> None:
    """In memory: the next occurrence still to apply (the one in progress counts as applied)."""
    upcoming = window.next_occurrence(starting_after=now)
    window.next_start_at = upcoming.starts_at if upcoming else None


def maintenance_starts_sweep(*, now: dt.datetime | None = None, batch_size: int = 100) -> int:
    """Sweep: apply every window occurrence that has started. Returns the number of incidents held.
    Guarantees: windows are locked with SKIP LOCKED, so concurrent sweeps split them; an occurrence that
    already ended (the sweep was down) is skipped, never applied late."""
    now = now or timezone.now()
    held = 0
    while True:
        with transaction.atomic():
            # FOR NO KEY UPDATE: an escalation sweep holding an incident for this window references the window
            # (FOR KEY SHARE) while it holds incident locks this sweep waits for; a full FOR UPDATE would deadlock.
            windows = list(
                MaintenanceWindow.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                .select_related("team", "service")
                .filter(MAINTENANCE_START_DUE, next_start_at__lte=now)
                .order_by("next_start_at")[:batch_size]
            )
            for window in windows:
                occurrence = window.occurrence_at(now)
                if occurrence is not None:
                    held += window_apply(window, occurrence, now=now)
                window_advance(window, now=now)
            MaintenanceWindow.objects.bulk_update(windows, ["next_start_at"])
        if len(windows) < batch_size:
            return held


def holds_reconsider(incidents: list[Incident], *, now: dt.datetime) -> int:
    """For locked incidents whose hold is due: still in maintenance (another or a longer window) → held on;
    otherwise, if open, escalation starts again from level 1 (a new cycle if the stopped one paged anybody;
    urgency hours may defer it). Returns how many started again."""
    covering = covering_occurrences({incident.service for incident in incidents}, at=now)
    started = 0
    entries: list[TimelineEntry] = []
    for incident in incidents:
        window = incident.maintenance_window
        if not incident.is_open:
            holds.release(incident)
            continue
        occurrence = covering.get(incident.service_id)
        if occurrence is not None:
            holds.hold(incident, occurrence, now=now)
            entries.append(holds.hold_note(incident, occurrence, now=now))
            continue
        if _paged_levels(incident):
            incident.escalation_cycle += 1
        cycle_start(incident, at=now, occurrence=None)
        reason = f" ({window.reason})" if window else ""
        entries.append(TimelineEntry(
            incident=incident, kind=TimelineKind.ESCALATION, actor=None, at=now,
            note=f"Maintenance over{reason}: escalation starts again from level 1 (cycle {incident.escalation_cycle}).",
            data={"event": "maintenance_over", "cycle": incident.escalation_cycle,
                  "window": window.pk if window else None},
        ))
        if incident.paging_deferred_until:
            entries.append(TimelineEntry(
                incident=incident, kind=TimelineKind.ESCALATION, actor=None, at=now,
                note=urgency.deferral_note(incident),
                data={"event": "deferred", "cycle": incident.escalation_cycle,
                      "until": incident.paging_deferred_until.isoformat()},
            ))
        if incident.next_escalation_at is not None:
            transaction.on_commit(lambda pk=incident.pk: kick(pk), robust=True)
        started += 1
    Incident.objects.bulk_update(incidents, [*holds.HOLD_FIELDS, "escalation_cycle", "escalation_started_at"])
    TimelineEntry.objects.bulk_create(entries)
    return started


def maintenance_ends_sweep(*, now: dt.datetime | None = None, batch_size: int = 100) -> int:
    """Sweep: incidents whose maintenance hold is due. Returns how many started escalating again. Served by
    the partial index incident_maintenance_end_due, rows locked with SKIP LOCKED."""
    now = now or timezone.now()
    started = 0
    while True:
        with transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("service__team", "maintenance_window")
                .filter(MAINTENANCE_HOLD, paging_held_until__lte=now)
                .order_by("paging_held_until")[:batch_size]
            )
            if batch:
                started += holds_reconsider(batch, now=now)
        if len(batch) < batch_size:
            return started


def maintenance_sweep(*, now: dt.datetime | None = None) -> int:
    """Both maintenance parts at one `now`: ends first (an incident released by one window and covered by the
    next is held on), then starts."""
    now = now or timezone.now()
    return maintenance_ends_sweep(now=now) + maintenance_starts_sweep(now=now)
