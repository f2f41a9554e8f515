"""Hand-off notices: at each hand-off of a rotation the outgoing and the incoming on-call get the summary the
guide's checklist asks for, with the incidents still open on the team's services.

Hand-offs are not rows: they follow from the schedule (oncall.schedule). The sweep keeps a mark of how far
it has looked and announces the hand-offs between the mark and now; the idempotency key (rotation, hand-off
time, person) makes each notice exist once even if the mark is lost or two sweeps overlap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.models import OPEN_STATES, Incident, SweepMark
from incidents.services.paging import messages
from oncall.models import HandoffNote, NotificationKind, Rotation
from oncall.schedule import shifts
from oncall.services import notification_enqueue

MARK = "handoff_notices"
FIRST_LOOKBACK = dt.timedelta(minutes=15)  # the very first run does not announce last month's hand-offs
MAX_LOOKBACK = dt.timedelta(hours=24)  # after a long outage, a day-old hand-off is still worth a notice
TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Handoff:
    rotation: Any
    at: dt.datetime
    outgoing: Any
    incoming: Any


def handoffs_between(rotation: Rotation, start: dt.datetime, end: dt.datetime) -> list[Handoff]:
    """The instants in (start, end] where the person on call in `rotation` changes (rotation shifts,
    overrides and approved swaps alike), with who hands over to whom (None: nobody on call)."""
    segments = shifts(rotation, start, end + TICK)
    found = []
    for index, segment in enumerate(segments):
        previous = segments[index - 1] if index and segments[index - 1].end == segment.start else None
        if start < segment.start <= end and (previous is None or previous.user != segment.user):
            found.append(Handoff(rotation, segment.start, previous.user if previous else None, segment.user))
        following = segments[index + 1] if index + 1 < len(segments) else None
        gap_after = following is None or following.start != segment.end
        if gap_after and start < segment.end <= end:
            found.append(Handoff(rotation, segment.end, segment.user, None))
    return sorted(found, key=lambda h: h.at)


def _note_for(rotation: Rotation, at: dt.datetime) -> HandoffNote | None:
    return (
        HandoffNote.objects.filter(rotation=rotation, shift_start=at)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )


def _open_incidents(team_id: int) -> list[Incident]:
    return list(
        Incident.objects.filter(service__team_id=team_id, state__in=OPEN_STATES)
        .select_related("service__team", "acknowledged_by")
        .order_by("severity", "detected_at")
    )


def handoff_notify(handoff: Handoff, *, open_incidents: list[Incident]) -> int:
    """Write the notices of one hand-off (outgoing and incoming). Returns how many people were told."""
    rotation = handoff.rotation
    note = _note_for(rotation, handoff.at)
    told = 0
    for person in (handoff.outgoing, handoff.incoming):
        if person is None or not person.is_active:
            continue
        subject, body = messages.handoff_notice(
            rotation=rotation, at=handoff.at, outgoing=handoff.outgoing, incoming=handoff.incoming,
            recipient=person, open_incidents=open_incidents, note=note,
        )
        notification_enqueue(
            recipient=person, subject=subject, body=body, kind=NotificationKind.NOTICE, topic=f"rotation:{rotation.pk}",
            data={
                "rotation_id": rotation.pk, "rotation": rotation.name, "team": rotation.team.name,
                "handoff_at": handoff.at.isoformat(),
                "role": "incoming" if person == handoff.incoming else "outgoing",
                "open_incidents": [messages.incident_data(i) for i in open_incidents],
            },
            idempotency_key=f"handoff:{rotation.pk}:{handoff.at.timestamp():.0f}:{person.pk}",
        )
        told += 1
    return told


def handoff_notices_send(*, now: dt.datetime | None = None) -> int:
    """Sweep: announce every hand-off since the last run (at most a day back). Returns how many people were
    told. Guarantees: one sweep at a time walks the schedule (the mark row is locked with SKIP LOCKED; a second
    sweep returns at once); notices are keyed per rotation, hand-off time and person, so none is written twice."""
    now = now or timezone.now()
    SweepMark.objects.get_or_create(name=MARK, defaults={"reached": now - FIRST_LOOKBACK})
    told = 0
    with transaction.atomic():
        mark = SweepMark.objects.select_for_update(skip_locked=True).filter(name=MARK).first()
        if mark is None:
            return 0
        since = max(mark.reached, now - MAX_LOOKBACK)
        if since >= now:
            return 0
        incidents_by_team: dict[int, list[Incident]] = {}
        for rotation in Rotation.objects.select_related("team").order_by("pk"):
            for handoff in handoffs_between(rotation, since, now):
                if rotation.team_id not in incidents_by_team:
                    incidents_by_team[rotation.team_id] = _open_incidents(rotation.team_id)
                told += handoff_notify(handoff, open_incidents=incidents_by_team[rotation.team_id])
        mark.reached = now
        mark.save(update_fields=["reached"])
    return told
