"""Maintenance windows: planned times when a service (or all of a team's services) pages nobody.

A window is one occurrence (`starts_at`–`ends_at`) or repeats weekly at the same local wall-clock times in its
time zone, so "Tuesdays 02:00–04:00 Europe/Berlin" stays 02:00–04:00 local on both sides of a DST switch (the
first occurrence fixes the weekday and the local times). `next_start_at` is the due work the paging sweep
picks up: the start of the next occurrence it has not applied yet (empty when none is left).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from oncall.models.team import Team, validate_time_zone

UTC = dt.UTC
YEARS = (1970, 2999)
MAINTENANCE_START_DUE = Q(next_start_at__isnull=False)


class Recurrence(models.TextChoices):
    ONCE = "once", "One-off"
    WEEKLY = "weekly", "Every week"


@dataclass(frozen=True)
class Occurrence:
    window: MaintenanceWindow
    starts_at: dt.datetime
    ends_at: dt.datetime

    def covers(self, at: dt.datetime) -> bool:
        return self.starts_at <= at < self.ends_at


class MaintenanceWindow(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="maintenance_windows")
    service = models.ForeignKey(
        "incidents.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance_windows",
        help_text="Empty: every service of the team.",
    )
    reason = models.CharField(max_length=200)
    starts_at = models.DateTimeField(help_text="Start (of the first occurrence, for a weekly window).")
    ends_at = models.DateTimeField(help_text="End (of the first occurrence, for a weekly window).")
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone],
        help_text="Weekly windows repeat at the same local times in this zone; empty: the team's time zone.",
    )
    repeat_until = models.DateField(
        null=True, blank=True, help_text="Weekly: the last day an occurrence may start (local); empty: no end."
    )
    next_start_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="The start of the next occurrence the paging sweep has not applied yet.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["next_start_at"], condition=MAINTENANCE_START_DUE, name="maintenance_start_due"),
            models.Index(fields=["team", "ends_at"], name="maintenance_team_ends"),
        ]

    def __str__(self) -> str:
        where = self.service.name if self.service_id else f"all {self.team} services"
        return f"Maintenance of {where}: {self.reason}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or self.team.time_zone)

    def _tz_or_utc(self) -> dt.tzinfo:
        """For validation, before the time zone and the team are known to be valid."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone) if self.time_zone else (self.team.tz if self.team_id else UTC)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return UTC

    @property
    def scope_label(self) -> str:
        return self.service.name if self.service_id else f"all services of {self.team.name}"

    def clean(self) -> None:
        errors = {}
        # Occurrences, local times and labels do date arithmetic on these: anything wider can overflow (the API's
        # ApiDateTimeField has the same bounds; the admin's date fields go up to 9999).
        for name in ("starts_at", "ends_at", "repeat_until"):
            value = getattr(self, name)
            if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
                errors[name] = f"Give a date between the years {YEARS[0]} and {YEARS[1]}."
        if errors:
            raise ValidationError(errors)
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The window must end after it starts."
        if self.service_id and self.team_id and self.service.team_id != self.team_id:
            errors["service"] = "Choose one of the team's services."
        if self.recurrence == Recurrence.WEEKLY:
            if self.starts_at and self.ends_at and self.ends_at - self.starts_at >= dt.timedelta(days=7):
                errors["ends_at"] = "A weekly window must be shorter than a week."
            first_day = self.starts_at.astimezone(self._tz_or_utc()).date() if self.starts_at else None
            if self.repeat_until and first_day and self.repeat_until < first_day:
                errors["repeat_until"] = "Repeat until a day on or after the first occurrence."
        elif self.repeat_until:
            errors["repeat_until"] = "Only weekly windows repeat."
        if errors:
            raise ValidationError(errors)

    # --- occurrences (pure, DST-correct: local wall-clock times are kept, UTC instants follow) ---------------

    def _nth(self, n: int, tz: zoneinfo.ZoneInfo, first_start: dt.datetime, first_end: dt.datetime) -> Occurrence:
        step = dt.timedelta(days=7 * n)
        start = (first_start.replace(tzinfo=None) + step).replace(tzinfo=tz)
        end = (first_end.replace(tzinfo=None) + step).replace(tzinfo=tz)
        # Normalise through UTC so a wall-clock time that does not exist (spring forward) maps to a real instant:
        # the offset before the gap, as RFC 5545 does, so a start in the gap moves later by the gap. An end that
        # then comes before the start keeps the window's length instead.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            end = start + (first_end - first_start)
        return Occurrence(self, start, end)

    def occurrences(self, *, after: dt.datetime) -> Iterator[Occurrence]:
        """Occurrences that end after `after`, in order (endless for a weekly window with no end day)."""
        if self.recurrence != Recurrence.WEEKLY:
            if self.ends_at > after:
                yield Occurrence(self, self.starts_at, self.ends_at)
            return
        tz = self.tz
        first_start, first_end = self.starts_at.astimezone(tz), self.ends_at.astimezone(tz)
        weeks_before = max(0, (after - self.ends_at).days // 7 - 1)
        n = weeks_before
        while True:
            occurrence = self._nth(n, tz, first_start, first_end)
            if self.repeat_until and occurrence.starts_at.astimezone(tz).date() > self.repeat_until:
                return
            if occurrence.ends_at > after:
                yield occurrence
            n += 1

    def occurrence_at(self, at: dt.datetime) -> Occurrence | None:
        """The occurrence in progress at `at`, if any."""
        for occurrence in self.occurrences(after=at):
            return occurrence if occurrence.starts_at <= at else None
        return None

    def next_occurrence(self, *, starting_after: dt.datetime) -> Occurrence | None:
        for occurrence in self.occurrences(after=starting_after):
            if occurrence.starts_at > starting_after:
                return occurrence
        return None

    def upcoming(self, *, after: dt.datetime, count: int = 3) -> list[Occurrence]:
        found: list[Occurrence] = []
        for occurrence in self.occurrences(after=after):
            found.append(occurrence)
            if len(found) >= count:
                break
        return found
