"""iCalendar (RFC 5545) feeds of on-call shifts, for Google Calendar, Outlook and Apple Calendar.

Times are UTC. Each event's UID is built from the rotation, the shift's start and its person, so a
re-fetched feed updates events in place; a shift that changes hands gets a new UID (and the old
event disappears from the feed, as subscribers expect).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from oncall.eligibility import display_name
from oncall.schedule import Shift, ShiftSource, shifts, user_shifts

WEEKS_BACK = 6
WEEKS_AHEAD = 12
PRODID = "-//Watchkeeper//On-call schedule//EN"


def feed_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    now = now or timezone.now()
    return now - dt.timedelta(weeks=WEEKS_BACK), now + dt.timedelta(weeks=WEEKS_AHEAD)


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "watchkeeper.invalid"


def shift_uid(shift: Shift) -> str:
    start = shift.start.astimezone(dt.UTC)
    return f"rotation-{shift.rotation_id}-{start:%Y%m%dT%H%M%SZ}-user-{shift.user.pk}@{_domain()}"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "UTC")
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    return cal


def _event(shift: Shift, rotation, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", shift_uid(shift))
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start.astimezone(dt.UTC))
    event.add("dtend", shift.end.astimezone(dt.UTC))
    who = display_name(shift.user)
    event.add("summary", f"On call: {who} — {rotation.team.name} {rotation.get_kind_display().lower()}")
    lines = [f"Rotation: {rotation}", f"On call: {who}"]
    if shift.source == ShiftSource.OVERRIDE:
        lines.append("Source: override (replaces the regular rotation)")
    for blackout in shift.conflicts:
        lines.append(
            f"Conflict: {display_name(blackout.user)} has a blackout ({blackout.get_reason_display().lower()}) "
            f"{blackout.start:%Y-%m-%d %H:%M} – {blackout.end:%Y-%m-%d %H:%M} UTC"
        )
    event.add("description", "\n".join(lines))
    event.add("categories", ["On-call"])
    event.add("transp", "OPAQUE")
    return event


def rotation_calendar(rotation, *, now: dt.datetime | None = None) -> bytes:
    """Every shift of the rotation from six weeks back to twelve weeks ahead."""
    now = now or timezone.now()
    cal = _calendar(f"On-call: {rotation}")
    for shift in shifts(rotation, *feed_window(now)):
        cal.add_component(_event(shift, rotation, now))
    return cal.to_ical()


def user_calendar(user, *, now: dt.datetime | None = None) -> bytes:
    """"My shifts": the person's shifts in every rotation, six weeks back to twelve weeks ahead."""
    from oncall.models import Rotation

    now = now or timezone.now()
    mine = user_shifts(user, *feed_window(now))
    rotations = Rotation.objects.select_related("team").in_bulk({s.rotation_id for s in mine})
    cal = _calendar(f"My on-call shifts ({display_name(user)})")
    for shift in mine:
        cal.add_component(_event(shift, rotations[shift.rotation_id], now))
    return cal.to_ical()
