import datetime as dt
import zoneinfo

import pytest

from oncall.working_hours import WorkingHours

BERLIN = WorkingHours(
    tz=zoneinfo.ZoneInfo("Europe/Berlin"), days=frozenset(range(5)), starts=dt.time(9), ends=dt.time(17)
)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (utc(2026, 1, 14, 9, 0), dt.timedelta(hours=4), utc(2026, 1, 14, 13, 0)),  # Wed 10:00 local
        (utc(2026, 1, 14, 14, 0), dt.timedelta(hours=4), utc(2026, 1, 15, 10, 0)),  # 15:00 local: 2 h + 2 h Thu
        (utc(2026, 1, 16, 22, 0), dt.timedelta(hours=1), utc(2026, 1, 19, 9, 0)),  # Fri night -> Mon
        (utc(2026, 1, 13, 14, 0), dt.timedelta(days=1), utc(2026, 1, 14, 14, 0)),  # one business day
        (utc(2026, 1, 16, 14, 0), dt.timedelta(days=1), utc(2026, 1, 19, 14, 0)),  # Fri -> Mon
    ],
)
def test_add_working_time(start, duration, expected):
    assert BERLIN.add(start, duration) == expected


def test_working_day_is_eight_real_hours_across_the_dst_switch():
    # Friday 27 March 2026 16:00 CET + 4 working hours = Monday 30 March 12:00 CEST = 10:00 UTC
    assert BERLIN.add(utc(2026, 3, 27, 15, 0), dt.timedelta(hours=4)) == utc(2026, 3, 30, 10, 0)


def test_is_working_time_uses_local_wall_clock():
    assert BERLIN.is_working_time(utc(2026, 7, 1, 7, 30))  # 09:30 CEST
    assert not BERLIN.is_working_time(utc(2026, 1, 1, 7, 30))  # 08:30 CET
    assert not BERLIN.is_working_time(utc(2026, 1, 17, 12, 0))  # Saturday


def test_working_time_between():
    assert BERLIN.working_time_between(utc(2026, 1, 16, 15, 0), utc(2026, 1, 19, 9, 0)) == dt.timedelta(hours=2)
