"""A team's working-hours calendar: pure functions over aware datetimes, DST-correct.

All arithmetic happens in UTC; local wall-clock times are only used to find where working days
start and end, so a 09:00–17:00 day is eight real hours on both sides of a DST switch.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

UTC = dt.UTC


@dataclass(frozen=True)
class WorkingHours:
    tz: zoneinfo.ZoneInfo
    days: frozenset[int]
    starts: dt.time
    ends: dt.time

    def _bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, self.starts, tzinfo=self.tz).astimezone(UTC)
        end = dt.datetime.combine(day, self.ends, tzinfo=self.tz).astimezone(UTC)
        return start, end

    def is_working_time(self, at: dt.datetime) -> bool:
        local = at.astimezone(self.tz)
        if local.weekday() not in self.days:
            return False
        start, end = self._bounds(local.date())
        return start <= at.astimezone(UTC) < end

    def next_working_instant(self, at: dt.datetime) -> dt.datetime:
        """`at` itself when it falls in working hours, else the start of the next working day."""
        at = at.astimezone(UTC)
        day = at.astimezone(self.tz).date()
        for _ in range(15):
            if day.weekday() in self.days:
                start, end = self._bounds(day)
                if at < start:
                    return start
                if at < end:
                    return at
            day += dt.timedelta(days=1)
        raise ValueError("working hours have no working day")

    def _next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while day.weekday() not in self.days:
            day += dt.timedelta(days=1)
        return day

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant when `duration` of working time has passed since `start`.

        Whole days in `duration` count as working days (P4's "1 business day" detected on a
        Tuesday at 15:00 is due Wednesday at 15:00); the rest counts working hours.
        """
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        current = self.next_working_instant(start)
        day = current.astimezone(self.tz).date()
        if duration.days:
            elapsed = current - self._bounds(day)[0]
            for _ in range(duration.days):
                day = self._next_working_day(day)
            current = self._bounds(day)[0] + elapsed
        remaining = duration - dt.timedelta(days=duration.days)
        while True:
            _, end = self._bounds(day)
            available = end - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            day = self._next_working_day(day)
            current = self._bounds(day)[0]

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        total = dt.timedelta(0)
        if end <= start:
            return total
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            if day.weekday() in self.days:
                day_start, day_end = self._bounds(day)
                overlap = min(day_end, end) - max(day_start, start)
                if overlap > dt.timedelta(0):
                    total += overlap
            day += dt.timedelta(days=1)
        return total


def team_working_hours(team) -> WorkingHours:
    return WorkingHours(
        tz=zoneinfo.ZoneInfo(team.time_zone),
        days=frozenset(team.working_days),
        starts=team.workday_starts,
        ends=team.workday_ends,
    )
