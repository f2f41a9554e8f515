"""Holding an escalation for a maintenance window: in memory, in bulk, and on the timeline.

A held incident's current cycle is stopped (`escalation_ended_at`, no `next_escalation_at`) and
`paging_held_until` says when the window ends; the maintenance sweep then starts a cycle from level 1
(incidents.services.paging.maintenance). Pages of the stopped cycle still waiting in the outbox are cancelled
here, and the outbox guard refuses any that a deliverer holds at this moment (incidents.services.paging.guard).
"""

from __future__ import annotations

import datetime as dt

from incidents.maintenance_selectors import covering_occurrences
from incidents.models import Incident, Occurrence, TimelineEntry, TimelineKind
from incidents.services.paging import messages
from incidents.services.paging.urgency import deferral_note, team_time_label
from oncall.models import NotificationKind
from oncall.services.notifications import notifications_cancel_pending

HOLD_FIELDS = ["escalation_ended_at", "next_escalation_at", "paging_deferred_until", "paging_held_until",
               "maintenance_window"]


def hold(incident: Incident, occurrence: Occurrence, *, now: dt.datetime) -> None:
    """In memory: stop the current cycle and hold paging until the occurrence ends."""
    incident.escalation_ended_at = now
    incident.next_escalation_at = None
    incident.paging_deferred_until = None
    incident.paging_held_until = occurrence.ends_at
    incident.maintenance_window = occurrence.window


def release(incident: Incident) -> bool:
    """In memory: forget a hold or a deferral (a person acted, or the incident closed). True if there was one."""
    had = bool(incident.paging_held_until or incident.maintenance_window_id or incident.paging_deferred_until)
    incident.paging_held_until = None
    incident.maintenance_window = None
    incident.paging_deferred_until = None
    return had


def hold_note(incident: Incident, occurrence: Occurrence, *, now: dt.datetime) -> TimelineEntry:
    window = occurrence.window
    return TimelineEntry(
        incident=incident, kind=TimelineKind.ESCALATION, actor=None, at=now,
        note=(f"In maintenance until {team_time_label(incident, occurrence.ends_at)} ({window.reason}): nobody is "
              f"paged; escalation cycle {incident.escalation_cycle} stopped. Paging starts again from level 1 "
              "when the window ends, if the incident is still open."),
        data={"event": "maintenance_hold", "window": window.pk, "cycle": incident.escalation_cycle,
              "until": occurrence.ends_at.isoformat()},
    )


def paging_wait_note(incident: Incident, *, at: dt.datetime) -> TimelineEntry | None:
    """The timeline entry for a cycle that was just started in maintenance or deferred (saved), else None."""
    entry = None
    if incident.paging_held_until and incident.maintenance_window_id:
        occurrence = Occurrence(incident.maintenance_window, at, incident.paging_held_until)
        entry = hold_note(incident, occurrence, now=at)
    elif incident.paging_deferred_until:
        entry = TimelineEntry(
            incident=incident, kind=TimelineKind.ESCALATION, actor=None, at=at, note=deferral_note(incident),
            data={"event": "deferred", "cycle": incident.escalation_cycle,
                  "until": incident.paging_deferred_until.isoformat()},
        )
    if entry is not None:
        entry.save()
    return entry


def cancel_queued_pages(incidents: list[Incident], *, reason: str) -> int:
    """Cancel the escalation pages of these incidents still pending in the outbox."""
    if not incidents:
        return 0
    return notifications_cancel_pending(
        topics=[messages.topic(i) for i in incidents], kind=NotificationKind.PAGE,
        key_prefixes=[f"incident:{i.pk}:page:" for i in incidents], reason=reason,
    )


def holds_write(held: list[tuple[Incident, Occurrence]], *, now: dt.datetime) -> int:
    """Hold these locked incidents for their occurrence, in a handful of statements: the incidents, one
    timeline entry each, and their queued escalation pages cancelled."""
    if not held:
        return 0
    for incident, occurrence in held:
        hold(incident, occurrence, now=now)
    incidents = [incident for incident, _ in held]
    Incident.objects.bulk_update(incidents, HOLD_FIELDS)
    TimelineEntry.objects.bulk_create([hold_note(incident, occurrence, now=now) for incident, occurrence in held])
    cancel_queued_pages(incidents, reason="The service went into maintenance before this page went out.")
    return len(held)


def hold_covered(batch: list[Incident], *, now: dt.datetime) -> list[Incident]:
    """Of these locked, escalating incidents, hold those whose service is in maintenance at `now` (the
    maintenance sweep may not have run yet: the window's start is a time, not an event); returns the rest."""
    covering = covering_occurrences({incident.service for incident in batch}, at=now)
    if not covering:
        return batch
    held = [(incident, covering[incident.service_id]) for incident in batch if incident.service_id in covering]
    holds_write(held, now=now)
    return [incident for incident in batch if incident.service_id not in covering]
