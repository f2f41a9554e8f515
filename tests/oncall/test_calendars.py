"""iCalendar feeds: parsed back with icalendar, UTC times, stable UIDs, unguessable rotatable URLs."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from oncall.calendars import rotation_calendar, user_calendar
from oncall.models import OnCallProfile, Override
from oncall.services import profile_calendar_token_rotate, rotation_calendar_token_rotate
from tests.factories.oncall import BlackoutFactory
from tests.oncall.conftest import NOW, utc

pytestmark = pytest.mark.django_db
FEEDS = pytest.mark.urls("tests.oncall.feed_urls")


def events(ics: bytes) -> list:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def by_uid(ics: bytes) -> dict:
    return {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"])) for e in events(ics)}


def test_the_rotation_feed_lists_six_weeks_back_to_twelve_ahead_in_utc(primary, now):
    cal = Calendar.from_ical(rotation_calendar(primary))
    assert str(cal["VERSION"]) == "2.0" and str(cal["X-WR-CALNAME"]) == "On-call: Payments — Primary"
    found = events(rotation_calendar(primary))
    starts = [e.decoded("DTSTART") for e in found]
    assert starts[0] <= NOW - dt.timedelta(weeks=6) < found[0].decoded("DTEND")
    assert found[-1].decoded("DTEND") >= NOW + dt.timedelta(weeks=12)
    assert all(s.tzinfo is not None and s.utcoffset() == dt.timedelta(0) for s in starts)
    assert b"DTSTART:20260309T080000Z" in rotation_calendar(primary)
    assert all(str(e["SUMMARY"]).startswith("On call: ") for e in found)


def test_uids_are_unique_and_stable_as_the_feed_moves_on(primary, now):
    today = by_uid(rotation_calendar(primary))
    with time_machine.travel(NOW + dt.timedelta(days=10), tick=False):
        later = by_uid(rotation_calendar(primary))
    shared = set(today) & set(later)
    assert len(today) == len(events(rotation_calendar(primary))) and len(shared) >= 15
    assert all(today[uid] == later[uid] for uid in shared)


def test_a_changed_shift_replaces_its_event(primary, people, now):
    before = by_uid(rotation_calendar(primary))
    Override.objects.create(rotation=primary, user=people["sara"], start=utc(2026, 3, 9, 8), end=utc(2026, 3, 16, 8))
    after = by_uid(rotation_calendar(primary))
    gone, new = set(before) - set(after), set(after) - set(before)
    assert len(gone) == 1 and len(new) == 1
    assert "Sara Payments" in after[new.pop()][2]


def test_my_shifts_feed_has_only_my_shifts_across_rotations(primary, secondary, people, now):
    Override.objects.create(rotation=primary, user=people["sara"], start=utc(2026, 3, 20), end=utc(2026, 3, 21))
    BlackoutFactory(user=people["sara"], start=utc(2026, 3, 17), end=utc(2026, 3, 18))
    found = events(user_calendar(people["sara"]))
    assert found and all("Sara Payments" in str(e["SUMMARY"]) for e in found)
    override = next(e for e in found if e.decoded("DTSTART") == utc(2026, 3, 20))
    assert "override" in str(override["DESCRIPTION"])
    conflicted = next(e for e in found if e.decoded("DTSTART") == utc(2026, 3, 16, 8))
    assert "Conflict: Sara Payments has a blackout (vacation)" in str(conflicted["DESCRIPTION"])


@FEEDS
def test_feeds_are_served_at_token_urls_without_login(client, primary, people, now):
    profile = OnCallProfile.objects.get(user=people["paul"])
    response = client.get(reverse("oncall:calendar_user", kwargs={"token": profile.calendar_token}))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    assert events(response.content)
    response = client.get(f"/oncall/calendar/rotation/{primary.calendar_token}.ics")
    assert response.status_code == 200 and len(events(response.content)) >= 18


@FEEDS
def test_a_bad_or_rotated_token_is_not_found(client, primary, people, now):
    assert client.get("/oncall/calendar/user/not-a-real-token-at-all.ics").status_code == 404
    assert client.get("/oncall/calendar/rotation/not-a-real-token-at-all.ics").status_code == 404
    old_user, old_rotation = OnCallProfile.objects.get(user=people["paul"]).calendar_token, primary.calendar_token
    new_user = profile_calendar_token_rotate(user=people["paul"])
    new_rotation = rotation_calendar_token_rotate(rotation=primary)
    assert client.get(f"/oncall/calendar/user/{old_user}.ics").status_code == 404
    assert client.get(f"/oncall/calendar/rotation/{old_rotation}.ics").status_code == 404
    assert client.get(f"/oncall/calendar/user/{new_user}.ics").status_code == 200
    assert client.get(f"/oncall/calendar/rotation/{new_rotation}.ics").status_code == 200
