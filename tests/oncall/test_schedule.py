"""Shifts from the database: rotation order, hand-offs across DST, overrides, conflicts, who is on call."""

import datetime as dt
import zoneinfo

import pytest

from oncall.models import Override
from oncall.schedule import (
    PUBLISHED_WEEKS,
    ShiftSource,
    on_call,
    propose_conflict_resolution,
    published_shifts,
    shift_at,
    shifts,
    user_shifts,
)
from tests.factories.oncall import BlackoutFactory, RotationFactory, responder, rotation_with
from tests.oncall.conftest import NOW, utc

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def override(rotation, user, start, end, **fields):
    return Override.objects.create(rotation=rotation, user=user, start=start, end=end, **fields)


def local(at):
    return at.astimezone(BERLIN)


def test_members_take_weekly_turns_handing_off_monday_0900_berlin(primary, people):
    found = shifts(primary, utc(2026, 3, 2), utc(2026, 3, 30))
    # The window starts inside Pete's shift, which is returned whole.
    assert [s.user.username for s in found] == ["pete", "pia", "paul", "petra", "pete"]
    assert found[0].start == utc(2026, 2, 23, 8)
    for shift in found:
        assert (local(shift.start).weekday(), local(shift.start).time()) == (0, dt.time(9, 0))
        assert shift.source == ShiftSource.ROTATION and shift.rotation_id == primary.pk
    assert found[1].start == utc(2026, 3, 2, 8) and found[1].end == utc(2026, 3, 9, 8)


def test_spring_forward_week_is_167_hours_and_still_hands_off_at_0900_local(primary):
    week = shift_at(primary, utc(2026, 3, 25))  # the week with Sunday 2026-03-29, 02:00 → 03:00
    assert local(week.start).time() == dt.time(9, 0) and local(week.end).time() == dt.time(9, 0)
    assert week.start == utc(2026, 3, 23, 8) and week.end == utc(2026, 3, 30, 7)
    assert week.duration == dt.timedelta(hours=167)


def test_fall_back_week_is_169_hours_and_still_hands_off_at_0900_local(primary):
    week = shift_at(primary, utc(2026, 10, 21))  # the week with Sunday 2026-10-25, 03:00 → 02:00
    assert local(week.start).time() == dt.time(9, 0) and local(week.end).time() == dt.time(9, 0)
    assert week.start == utc(2026, 10, 19, 7) and week.end == utc(2026, 10, 26, 8)
    assert week.duration == dt.timedelta(hours=169)


def test_daily_handoff_inside_the_spring_gap_happens_when_the_clock_jumps(team, people):
    rotation = rotation_with(team, [people["pia"], people["paul"]], shift_length=dt.timedelta(days=1),
                             handoff_time=dt.time(2, 30), start_date=dt.date(2026, 3, 2))
    gap_day = shift_at(rotation, utc(2026, 3, 29, 2))
    assert gap_day.start == utc(2026, 3, 29, 1)  # 03:00 CEST, the instant 02:30 was skipped
    assert local(gap_day.end) == dt.datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)


def test_handoff_at_a_repeated_time_happens_the_first_time(team, people):
    rotation = rotation_with(team, [people["pia"], people["paul"]], shift_length=dt.timedelta(days=1),
                             handoff_time=dt.time(2, 30), start_date=dt.date(2026, 10, 1))
    assert shift_at(rotation, utc(2026, 10, 25, 3)).start == utc(2026, 10, 25, 0, 30)  # 02:30 CEST


def test_nobody_is_on_call_before_the_first_handoff(team, people):
    rotation = rotation_with(team, [people["pia"]], start_date=dt.date(2026, 3, 4))  # a Wednesday
    assert shift_at(rotation, utc(2026, 3, 8)) is None
    assert shift_at(rotation, utc(2026, 3, 9, 8)).start == utc(2026, 3, 9, 8)  # the next Monday


def test_a_rotation_without_members_has_no_shifts(team):
    assert shifts(RotationFactory(team=team), utc(2026, 3, 1), utc(2026, 4, 1)) == []


def test_an_override_wins_and_splits_the_shift_it_lands_in(primary, people):
    o = override(primary, people["sara"], utc(2026, 3, 11), utc(2026, 3, 12))
    found = shifts(primary, utc(2026, 3, 10), utc(2026, 3, 13))
    assert [(s.user.username, s.source, s.start, s.end) for s in found] == [
        ("paul", ShiftSource.ROTATION, utc(2026, 3, 9, 8), utc(2026, 3, 11)),
        ("sara", ShiftSource.OVERRIDE, utc(2026, 3, 11), utc(2026, 3, 12)),
        ("paul", ShiftSource.ROTATION, utc(2026, 3, 12), utc(2026, 3, 16, 8)),
    ]
    assert found[1].override_id == o.pk


def test_the_later_of_two_overlapping_overrides_wins(primary, people):
    override(primary, people["sara"], utc(2026, 3, 10), utc(2026, 3, 13))
    later = override(primary, people["sven"], utc(2026, 3, 11), utc(2026, 3, 12))
    assert shift_at(primary, utc(2026, 3, 11, 12)).override_id == later.pk
    assert shift_at(primary, utc(2026, 3, 10, 12)).user == people["sara"]
    assert shift_at(primary, utc(2026, 3, 12, 12)).user == people["sara"]


def test_shifts_keep_their_true_bounds_whatever_window_shows_them(primary, people):
    override(primary, people["sara"], utc(2026, 3, 9, 8), utc(2026, 3, 10))  # cuts Paul's shift before the window
    seen = shifts(primary, utc(2026, 3, 12), utc(2026, 3, 12, 1))
    assert [(s.user, s.start, s.end) for s in seen] == [(people["paul"], utc(2026, 3, 10), utc(2026, 3, 16, 8))]


def test_a_blackout_overlapping_a_shift_is_a_conflict(primary, people):
    blackout = BlackoutFactory(user=people["paul"], start=utc(2026, 3, 12), end=utc(2026, 3, 14))
    BlackoutFactory(user=people["petra"], start=utc(2026, 3, 12), end=utc(2026, 3, 14))  # not on call then
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 2), end=utc(2026, 3, 9, 8))  # ends as his shift starts
    paul, petra = shifts(primary, utc(2026, 3, 10), utc(2026, 3, 17))
    assert paul.conflicts == (blackout,) and paul.has_conflict
    assert petra.conflicts == ()


def test_an_override_moves_the_conflict_to_whoever_covers(primary, people):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 12), end=utc(2026, 3, 14))
    override(primary, people["sven"], utc(2026, 3, 12), utc(2026, 3, 14))
    assert not any(s.conflicts for s in shifts(primary, utc(2026, 3, 9), utc(2026, 3, 16)))


def test_on_call_names_primary_and_secondary_of_the_team(team, primary, secondary, people):
    now = on_call(team, utc(2026, 3, 10))
    assert (now.primary, now.secondary) == (people["paul"], people["sven"])
    assert now.primary_shift.start == utc(2026, 3, 9, 8)
    assert on_call(secondary, utc(2026, 3, 10)).primary is None
    assert on_call(primary, utc(2026, 3, 10)).primary == people["paul"]


def test_published_schedule_covers_the_next_six_weeks(primary, now):
    published = published_shifts(primary)
    assert published[0].start <= NOW and published[-1].end >= NOW + dt.timedelta(weeks=PUBLISHED_WEEKS)
    assert len(published) == 7  # the current week plus six hand-offs


def test_my_shifts_span_rotations_and_overrides(primary, secondary, people):
    override(primary, people["sara"], utc(2026, 3, 20), utc(2026, 3, 21))
    mine = user_shifts(people["sara"], utc(2026, 3, 9, 12), utc(2026, 3, 23))
    assert [(s.rotation_id, s.start) for s in mine] == [
        (secondary.pk, utc(2026, 3, 16, 8)),
        (primary.pk, utc(2026, 3, 20)),
    ]


def test_conflict_proposal_is_the_next_member_who_can_cover(primary, secondary, people, team):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 12), end=utc(2026, 3, 14))
    BlackoutFactory(user=people["petra"], start=utc(2026, 3, 13), end=utc(2026, 3, 20))  # next in line, away too
    paul = shift_at(primary, utc(2026, 3, 10))
    proposal = propose_conflict_resolution(primary, paul)
    assert proposal.user == people["pete"]
    assert (proposal.start, proposal.end) == (utc(2026, 3, 12), utc(2026, 3, 14))  # only the conflicted part
    assert "Paul" in proposal.reason and "vacation" in proposal.reason


def test_conflict_proposal_skips_ineligible_and_double_booked_members(team, secondary, people):
    rookie = responder(team, username="rookie", eligible=False)
    rotation = rotation_with(team, [rookie, people["sven"], people["pia"], people["pete"], people["paul"]])
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 11))
    week = shift_at(rotation, utc(2026, 3, 10))  # hand-off 9 since 2026-01-05: position 9 mod 5, Paul
    assert week.user == people["paul"] and week.conflicts
    # Next in order, wrapping around: the rookie (not eligible), Sven (secondary that week), then Pia.
    assert propose_conflict_resolution(rotation, week).user == people["pia"]


def test_conflict_proposal_is_none_when_nobody_can_cover(team, people):
    rotation = rotation_with(team, [people["pia"], people["paul"]])
    BlackoutFactory(user=people["pia"], start=utc(2026, 3, 3), end=utc(2026, 3, 5))
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 1), end=utc(2026, 3, 6))
    assert propose_conflict_resolution(rotation, shift_at(rotation, utc(2026, 3, 4))) is None
    assert propose_conflict_resolution(rotation, shift_at(rotation, utc(2026, 3, 12))) is None  # no conflict
