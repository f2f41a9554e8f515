"""Who is on call when: pure functions over rotations, overrides and blackouts.

The core (`build_shifts`) works on plain data and is property-tested; `shifts` and `on_call` load a
rotation's members, overrides and blackouts and call it.

Rules:
- Shift k of a rotation starts at the first hand-off (hand-off weekday and time on or after the start
  date) plus k × shift length, counted in the team's *wall-clock* time, so a weekly Berlin rotation
  hands off at 09:00 local on both sides of a DST switch (that week's shift is 167 or 169 hours).
  A hand-off at a wall-clock time skipped by a DST jump happens when the clock jumps; one at a time
  that occurs twice happens the first time.
- Member k mod n (in position order) takes shift k. Nobody is on call before the first hand-off.
- Overrides beat the rotation; of two overlapping overrides the later-created one wins.
- A shift overlapping a blackout of its person is a conflict.
- Shifts keep their true start and end (not clipped to the window asked for), so the same shift looks
  the same whatever window it is seen through; calendar UIDs rely on that.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

UTC = dt.UTC
PUBLISHED_WEEKS = 6  # the guide: "Published 6 weeks in advance"
_MAX_HULL_ROUNDS = 8


class ShiftSource(models.TextChoices):
    ROTATION = "rotation", "Rotation"
    OVERRIDE = "override", "Override"


@dataclass(frozen=True)
class Shift:
    user: Any
    start: dt.datetime
    end: dt.datetime
    source: str = ShiftSource.ROTATION
    rotation_id: int | None = None
    override_id: int | None = None
    conflicts: tuple = ()

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    @property
    def has_conflict(self) -> bool:
        return bool(self.conflicts)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class OnCall:
    at: dt.datetime
    primary: Any = None
    secondary: Any = None
    primary_shift: Shift | None = None
    secondary_shift: Shift | None = None


def wall_clock_to_utc(naive: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant at which the local clock reads `naive` or later."""
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first  # exists; for a repeated time fold=0 is its first occurrence
    # Skipped by a jump: bisect (in whole seconds) for the jump between the two readings of `naive`.
    lo = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    hi = int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return dt.datetime.fromtimestamp(hi, UTC)


@dataclass(frozen=True)
class Cadence:
    """When a rotation's hand-offs happen: `first_handoff` (local wall-clock) + k × `length`."""

    tz: zoneinfo.ZoneInfo
    first_handoff: dt.datetime  # naive, local
    length: dt.timedelta

    def boundary(self, k: int) -> dt.datetime:
        return wall_clock_to_utc(self.first_handoff + k * self.length, self.tz)

    def index_at(self, at: dt.datetime) -> int:
        """The k whose shift [boundary(k), boundary(k + 1)) contains `at` (negative before the first)."""
        local = at.astimezone(self.tz).replace(tzinfo=None)
        k = (local - self.first_handoff) // self.length
        while self.boundary(k) > at:
            k -= 1
        while self.boundary(k + 1) <= at:
            k += 1
        return k


def first_handoff(start_date: dt.date, weekday: int, at: dt.time) -> dt.datetime:
    days_ahead = (weekday - start_date.weekday()) % 7
    return dt.datetime.combine(start_date + dt.timedelta(days=days_ahead), at)


def cadence_for(rotation) -> Cadence:
    return Cadence(
        tz=zoneinfo.ZoneInfo(rotation.team.time_zone),
        first_handoff=first_handoff(rotation.start_date, rotation.handoff_weekday, rotation.handoff_time),
        length=rotation.shift_length,
    )


def rotation_shifts(
    cadence: Cadence, members: Sequence, start: dt.datetime, end: dt.datetime, *, rotation_id: int | None = None
) -> list[Shift]:
    """The rotation's own shifts (no overrides) that overlap [start, end)."""
    if not members or end <= start:
        return []
    k = max(0, cadence.index_at(start))
    found = []
    shift_start = cadence.boundary(k)
    while shift_start < end:
        shift_end = cadence.boundary(k + 1)
        if shift_end > shift_start and shift_end > start:  # a shift can vanish inside a long DST gap
            found.append(Shift(members[k % len(members)], shift_start, shift_end, ShiftSource.ROTATION, rotation_id))
        k += 1
        shift_start = shift_end
    return found


def _cut(segment: Shift, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """What is left of `segment` outside [start, end)."""
    if not segment.overlaps(start, end):
        return [segment]
    left = []
    if segment.start < start:
        left.append(replace(segment, end=start))
    if end < segment.end:
        left.append(replace(segment, start=end))
    return left


def layer_overrides(base: Iterable[Shift], overrides: Iterable, *, rotation_id: int | None = None) -> list[Shift]:
    """Lay overrides (objects with user, start, end, pk) over shifts; later overrides (higher pk) win."""
    segments = list(base)
    for override in sorted(overrides, key=lambda o: (o.pk is None, o.pk)):
        segments = [piece for segment in segments for piece in _cut(segment, override.start, override.end)]
        segments.append(
            Shift(override.user, override.start, override.end, ShiftSource.OVERRIDE, rotation_id, override.pk)
        )
    return sorted(segments, key=lambda s: s.start)


def mark_conflicts(segments: Iterable[Shift], blackouts: Iterable) -> list[Shift]:
    """Attach to each shift the blackouts (objects with user, start, end) of its person that overlap it."""
    blackouts = list(blackouts)
    marked = []
    for segment in segments:
        hits = tuple(b for b in blackouts if b.user == segment.user and segment.overlaps(b.start, b.end))
        marked.append(replace(segment, conflicts=hits) if hits else segment)
    return marked


def build_shifts(
    *,
    cadence: Cadence | None,
    members: Sequence,
    overrides: Iterable = (),
    blackouts: Iterable = (),
    start: dt.datetime,
    end: dt.datetime,
    rotation_id: int | None = None,
) -> list[Shift]:
    """The final shifts overlapping [start, end): rotation, then overrides on top, then conflicts.

    `overrides` must include every override overlapping the returned shifts' full extent (see `shifts`),
    or a shift cut by an override just outside the window would show its uncut bounds.
    """
    overrides = list(overrides)
    lo = min([start, *(o.start for o in overrides)])
    hi = max([end, *(o.end for o in overrides)])
    base = rotation_shifts(cadence, members, lo, hi, rotation_id=rotation_id) if cadence else []
    final = [s for s in layer_overrides(base, overrides, rotation_id=rotation_id) if s.overlaps(start, end)]
    return mark_conflicts(final, blackouts)


def _hull(cadence: Cadence, has_members: bool, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Widen [start, end) to the rotation shifts it touches."""
    if not has_members:
        return start, end
    first = max(0, cadence.index_at(start))
    last = max(0, cadence.index_at(end - dt.timedelta(microseconds=1)))
    return min(start, cadence.boundary(first)), max(end, cadence.boundary(last + 1))


def shifts(rotation, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The final shifts of `rotation` overlapping [start, end), with sources and blackout conflicts."""
    from oncall.models import Blackout

    cadence = cadence_for(rotation)
    members = [m.user for m in rotation.rotation_members.select_related("user").order_by("position")]
    # Keep widening until every override touching a shift we return is known.
    lo, hi = _hull(cadence, bool(members), start, end)
    overrides: list = []
    for _ in range(_MAX_HULL_ROUNDS):
        overrides = list(rotation.overrides.filter(start__lt=hi, end__gt=lo).select_related("user"))
        new_lo = min([lo, *(o.start for o in overrides)])
        new_hi = max([hi, *(o.end for o in overrides)])
        new_lo, new_hi = _hull(cadence, bool(members), new_lo, new_hi)
        if (new_lo, new_hi) == (lo, hi):
            break
        lo, hi = new_lo, new_hi
    users = {u.pk for u in members} | {o.user_id for o in overrides}
    blackouts = Blackout.objects.filter(user_id__in=users, start__lt=hi, end__gt=lo).select_related("user")
    return build_shifts(
        cadence=cadence, members=members, overrides=overrides, blackouts=blackouts,
        start=start, end=end, rotation_id=rotation.pk,
    )


def shift_at(rotation, at: dt.datetime) -> Shift | None:
    found = shifts(rotation, at, at + dt.timedelta(microseconds=1))
    return found[0] if found else None


def on_call(team_or_rotation, at: dt.datetime | None = None) -> OnCall:
    """Who is primary and secondary at `at` (default now). For a rotation, only its own slot is filled."""
    from oncall.models import Rotation, RotationKind

    at = at or timezone.now()
    if isinstance(team_or_rotation, Rotation):
        rotations = [team_or_rotation]
    else:
        rotations = list(Rotation.objects.filter(team=team_or_rotation).select_related("team"))
    found: dict[str, Shift | None] = {RotationKind.PRIMARY: None, RotationKind.SECONDARY: None}
    for rotation in rotations:
        found[rotation.kind] = shift_at(rotation, at)
    primary, secondary = found[RotationKind.PRIMARY], found[RotationKind.SECONDARY]
    return OnCall(
        at=at,
        primary=primary.user if primary else None,
        secondary=secondary.user if secondary else None,
        primary_shift=primary,
        secondary_shift=secondary,
    )


def published_window(now: dt.datetime | None = None, weeks: int = PUBLISHED_WEEKS) -> tuple[dt.datetime, dt.datetime]:
    now = now or timezone.now()
    return now, now + dt.timedelta(weeks=weeks)


def published_shifts(rotation, *, now: dt.datetime | None = None, weeks: int = PUBLISHED_WEEKS) -> list[Shift]:
    """The published schedule: the shifts of the coming `weeks` (six, as the guide says)."""
    return shifts(rotation, *published_window(now, weeks))


def user_shifts(user, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """Everyone's "my shifts": this person's final shifts in every rotation, in time order."""
    from oncall.models import Rotation

    rotations = (
        Rotation.objects.filter(
            Q(rotation_members__user=user) | Q(overrides__user=user, overrides__start__lt=end, overrides__end__gt=start)
        )
        .distinct()
        .select_related("team")
    )
    mine = [s for rotation in rotations for s in shifts(rotation, start, end) if s.user == user]
    return sorted(mine, key=lambda s: (s.start, s.rotation_id))


@dataclass(frozen=True)
class OverrideProposal:
    rotation: Any
    user: Any
    start: dt.datetime
    end: dt.datetime
    reason: str


def conflict_span(shift: Shift) -> tuple[dt.datetime, dt.datetime]:
    """The part of a conflicted shift its blackouts cover: what someone else must take over."""
    start = max(shift.start, min(b.start for b in shift.conflicts))
    end = min(shift.end, max(b.end for b in shift.conflicts))
    return start, end


def propose_conflict_resolution(rotation, shift: Shift) -> OverrideProposal | None:
    """The next member after the shift's person (in rotation order) who can cover the conflicted part:
    eligible, without a blackout then and not on call in the team's other rotation. None if nobody can."""
    from oncall.coverage import coverage_problems

    if not shift.conflicts:
        return None
    start, end = conflict_span(shift)
    members = [m.user for m in rotation.rotation_members.select_related("user").order_by("position")]
    after = members.index(shift.user) + 1 if shift.user in members else 0
    for candidate in members[after:] + members[:after]:
        if candidate == shift.user:
            continue
        if not coverage_problems(rotation=rotation, user=candidate, start=start, end=end):
            reasons = ", ".join(sorted({b.get_reason_display().lower() for b in shift.conflicts}))
            name = shift.user.get_full_name() or shift.user.get_username()
            return OverrideProposal(rotation, candidate, start, end, f"Covers {name} ({reasons})")
    return None
