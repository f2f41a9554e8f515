"""Properties of the pure schedule core, over random time zones (DST, half-hour DST, a skipped day),
cadences, rosters, windows and overrides."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

from oncall.schedule import Cadence, ShiftSource, build_shifts, wall_clock_to_utc

UTC = dt.UTC
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata",
         "America/Santiago"]


@dataclass(frozen=True)
class Span:
    user: str
    start: dt.datetime
    end: dt.datetime
    pk: int


@st.composite
def cadences(draw):
    tz = zoneinfo.ZoneInfo(draw(st.sampled_from(ZONES)))
    first = draw(st.datetimes(min_value=dt.datetime(2010, 1, 1), max_value=dt.datetime(2030, 1, 1)))
    hours = draw(st.one_of(st.sampled_from([24, 168, 12, 8]), st.integers(min_value=1, max_value=24 * 14)))
    return Cadence(tz=tz, first_handoff=first.replace(second=0, microsecond=0), length=dt.timedelta(hours=hours))


@st.composite
def scenarios(draw):
    cadence = draw(cadences())
    members = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=6))
    origin = cadence.boundary(0)
    start = origin + dt.timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 60)))
    end = start + dt.timedelta(minutes=draw(st.integers(min_value=1, max_value=60 * 24 * 21)))
    overrides = []
    for pk in range(1, draw(st.integers(min_value=0, max_value=5)) + 1):
        o_start = start + dt.timedelta(minutes=draw(st.integers(min_value=-60 * 24 * 7, max_value=60 * 24 * 21)))
        o_end = o_start + dt.timedelta(minutes=draw(st.integers(min_value=1, max_value=60 * 24 * 10)))
        overrides.append(Span(draw(st.sampled_from("uvwxyz")), o_start, o_end, pk))
    return cadence, members, overrides, start, end


APIA = zoneinfo.ZoneInfo("Pacific/Apia")
# 2011-12-30 never happened in Samoa: 2011-12-29 23:59:59 (-10:00) was followed by 2011-12-31 00:00 (+14:00).
SAMOA_2011 = (
    Cadence(tz=APIA, first_handoff=dt.datetime(2011, 12, 28, 9), length=dt.timedelta(hours=6)),
    ["a", "b", "c"],
    [Span("x", dt.datetime(2011, 12, 30, 8, tzinfo=UTC), dt.datetime(2011, 12, 30, 12, tzinfo=UTC), 1)],
    dt.datetime(2011, 12, 29, tzinfo=UTC),
    dt.datetime(2012, 1, 2, tzinfo=UTC),
)


def instants(start, end, count=25):
    step = (end - start) / count
    return [start + step * i for i in range(count)] + [end - dt.timedelta(microseconds=1)]


@settings(max_examples=300, deadline=None)
@given(scenarios())
@example(SAMOA_2011)
def test_shifts_tile_the_window_with_no_gap_or_overlap(scenario):
    cadence, members, overrides, start, end = scenario
    found = build_shifts(cadence=cadence, members=members, overrides=overrides, start=start, end=end)
    assert found, "a staffed rotation always has someone on call after its first hand-off"
    assert found[0].start <= start and found[-1].end >= end
    for before, after in zip(found, found[1:], strict=False):
        assert before.end == after.start
    assert all(s.start < s.end and s.overlaps(start, end) for s in found)


@settings(max_examples=300, deadline=None)
@given(scenarios())
@example(SAMOA_2011)
def test_every_instant_has_exactly_one_on_call_and_overrides_win(scenario):
    cadence, members, overrides, start, end = scenario
    found = build_shifts(cadence=cadence, members=members, overrides=overrides, start=start, end=end)
    for at in instants(start, end):
        holding = [s for s in found if s.start <= at < s.end]
        assert len(holding) == 1, at
        covering = [o for o in overrides if o.start <= at < o.end]
        if covering:
            winner = max(covering, key=lambda o: o.pk)
            assert (holding[0].user, holding[0].source, holding[0].override_id) == (
                winner.user, ShiftSource.OVERRIDE, winner.pk
            )
        else:
            assert holding[0].source == ShiftSource.ROTATION
            assert holding[0].user == members[cadence.index_at(at) % len(members)]


@settings(max_examples=300, deadline=None)
@given(scenarios())
@example(SAMOA_2011)
def test_shifts_do_not_depend_on_the_window_they_are_seen_through(scenario):
    cadence, members, overrides, start, end = scenario
    whole = build_shifts(cadence=cadence, members=members, overrides=overrides, start=start, end=end)
    middle = start + (end - start) / 2
    first_half = build_shifts(cadence=cadence, members=members, overrides=overrides, start=start, end=middle)
    second_half = build_shifts(cadence=cadence, members=members, overrides=overrides, start=middle, end=end)
    assert set(first_half) | set(second_half) == set(whole)


@settings(max_examples=300, deadline=None)
@given(cadences(), st.integers(min_value=-50, max_value=400))
def test_handoffs_happen_when_the_local_clock_first_reads_the_handoff_time(cadence, k):
    wanted = cadence.first_handoff + k * cadence.length
    at = cadence.boundary(k)
    assert at.astimezone(cadence.tz).replace(tzinfo=None) >= wanted
    just_before = (at - dt.timedelta(seconds=1)).astimezone(cadence.tz).replace(tzinfo=None)
    assert just_before < wanted
    assert cadence.boundary(k + 1) >= at  # hand-offs never go back in time


def test_wall_clock_to_utc_on_the_2011_day_samoa_skipped():
    assert wall_clock_to_utc(dt.datetime(2011, 12, 30, 9), APIA) == dt.datetime(2011, 12, 30, 10, tzinfo=UTC)
    assert wall_clock_to_utc(dt.datetime(2011, 12, 31, 0), APIA) == dt.datetime(2011, 12, 30, 10, tzinfo=UTC)
