"""Writes to the schedule: rotations and their members, overrides, blackouts, conflict resolution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config.errors import ApplicationError
from oncall.coverage import assert_can_cover
from oncall.eligibility import assert_eligible, display_name
from oncall.models import (
    RESPONDER_ROLES,
    Blackout,
    BlackoutReason,
    Override,
    OverrideSource,
    Rotation,
    RotationKind,
    RotationMember,
    Team,
    TeamMembership,
    Weekday,
    new_feed_token,
)
from oncall.schedule import propose_conflict_resolution, shifts
from oncall.selectors import is_team_approver
from oncall.services.locks import team_schedule_lock

_PARKED = 1000  # positions are moved out of the way while renumbering, so the unique index never trips


@transaction.atomic
def rotation_create(
    *,
    team: Team,
    name: str,
    kind: str = RotationKind.PRIMARY,
    start_date: dt.date,
    shift_length: dt.timedelta = dt.timedelta(days=7),
    handoff_weekday: int = Weekday.MONDAY,
    handoff_time: dt.time = dt.time(9, 0),
) -> Rotation:
    """Create a team's primary or secondary rotation (without members).
    Raises ApplicationError if the team already has one of that kind or the settings are invalid."""
    team_schedule_lock(team.pk)
    if Rotation.objects.filter(team=team, kind=kind).exists():
        raise ApplicationError(f"{team} already has a {RotationKind(kind).label.lower()} rotation.", field="kind")
    rotation = Rotation(
        team=team, name=name, kind=kind, start_date=start_date, shift_length=shift_length,
        handoff_weekday=handoff_weekday, handoff_time=handoff_time,
    )
    try:
        rotation.full_clean()
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from exc
    rotation.save()
    return rotation


def _renumber(rotation: Rotation, users_in_order: Sequence) -> None:
    RotationMember.objects.filter(rotation=rotation).update(position=F("position") + _PARKED)
    members = {m.user_id: m for m in RotationMember.objects.filter(rotation=rotation)}
    for position, user in enumerate(users_in_order):
        members[user.pk].position = position
    RotationMember.objects.bulk_update(members.values(), ["position"])


def _member_users(rotation: Rotation) -> list:
    members = RotationMember.objects.filter(rotation=rotation).select_related("user").order_by("position")
    return [m.user for m in members]


@transaction.atomic
def rotation_member_add(*, rotation: Rotation, user, position: int | None = None) -> RotationMember:
    """Put `user` into the rotation at `position` (0-based; default last), moving later members down.
    Guarantees: positions stay 0..n-1. Raises ApplicationError if the user is not a responder in the
    team, is already a member, or misses an eligibility requirement (the message names which)."""
    team_schedule_lock(rotation.team_id)
    if not TeamMembership.objects.filter(team_id=rotation.team_id, user=user, role__in=RESPONDER_ROLES).exists():
        raise ApplicationError(f"{display_name(user)} is not a responder in {rotation.team}.")
    assert_eligible(user)
    users = _member_users(rotation)
    if user in users:
        raise ApplicationError(f"{display_name(user)} is already in {rotation.name}.")
    position = len(users) if position is None else max(0, min(position, len(users)))
    users.insert(position, user)
    RotationMember.objects.filter(rotation=rotation).update(position=F("position") + _PARKED)
    member = RotationMember.objects.create(rotation=rotation, user=user, position=position)
    _renumber(rotation, users)
    member.refresh_from_db()
    return member


@transaction.atomic
def rotation_member_remove(*, rotation: Rotation, user) -> None:
    """Take `user` out of the rotation; the members after them move up. Overrides they hold stay.
    Raises ApplicationError if they are not a member."""
    team_schedule_lock(rotation.team_id)
    deleted, _ = RotationMember.objects.filter(rotation=rotation, user=user).delete()
    if not deleted:
        raise ApplicationError(f"{display_name(user)} is not in {rotation.name}.")
    _renumber(rotation, _member_users(rotation))


@transaction.atomic
def rotation_member_reorder(*, rotation: Rotation, users: Sequence) -> list[RotationMember]:
    """Set the rotation order to `users`, which must be exactly the current members.
    Raises ApplicationError otherwise."""
    team_schedule_lock(rotation.team_id)
    current = _member_users(rotation)
    if len(users) != len(current) or {u.pk for u in users} != {u.pk for u in current}:
        raise ApplicationError("Give every current member of the rotation exactly once.")
    _renumber(rotation, users)
    return list(RotationMember.objects.filter(rotation=rotation).select_related("user").order_by("position"))


def _override_insert(
    *, rotation: Rotation, user, start: dt.datetime, end: dt.datetime, reason: str, created_by,
    source: str = OverrideSource.MANUAL, swap=None,
) -> Override:
    """Insert an override; the caller holds the team schedule lock."""
    if end <= start:
        raise ApplicationError("An override must end after it starts.", field="end")
    if end <= timezone.now():
        raise ApplicationError("An override must end in the future.", field="end")
    assert_can_cover(rotation=rotation, user=user, start=start, end=end)
    return Override.objects.create(
        rotation=rotation, user=user, start=start, end=end, reason=reason[:255], created_by=created_by,
        source=source, swap=swap,
    )


@transaction.atomic
def override_create(
    *, rotation: Rotation, user, start: dt.datetime, end: dt.datetime, created_by, reason: str = ""
) -> Override:
    """Put `user` on call in `rotation` for [start, end), beating the rotation and earlier overrides.
    Raises ApplicationError if the span is empty or past, or the user cannot cover it (eligibility,
    blackout, or on call in the team's other rotation then)."""
    team_schedule_lock(rotation.team_id)
    return _override_insert(rotation=rotation, user=user, start=start, end=end, reason=reason, created_by=created_by)


@transaction.atomic
def blackout_create(
    *, user, start: dt.datetime, end: dt.datetime, reason: str = BlackoutReason.VACATION, note: str = ""
) -> Blackout:
    """Record a time `user` cannot be on call. Shifts overlapping it show as conflicts.
    Raises ApplicationError for an unknown reason or an empty span."""
    if reason not in BlackoutReason.values:
        raise ApplicationError(f"Reason must be one of {', '.join(BlackoutReason.labels)}.", field="reason")
    if end <= start:
        raise ApplicationError("A blackout must end after it starts.", field="end")
    try:
        with transaction.atomic():
            return Blackout.objects.create(user=user, start=start, end=end, reason=reason, note=note[:255])
    except IntegrityError as exc:  # the check constraint, should a caller bypass the test above
        raise ApplicationError("A blackout must end after it starts.", field="end") from exc


@transaction.atomic
def shift_conflict_resolve(*, rotation: Rotation, shift_start: dt.datetime, actor) -> Override:
    """Resolve the blackout conflict of the shift starting at `shift_start` by overriding its conflicted
    part with the next member who can cover it (see schedule.propose_conflict_resolution).
    Raises PermissionDenied unless `actor` is a manager or lead of the team; ApplicationError if no
    shift starts then, it has no conflict, or nobody can cover it."""
    if not is_team_approver(actor, rotation.team):
        raise PermissionDenied("Only a manager or lead of the team can resolve schedule conflicts.")
    team_schedule_lock(rotation.team_id)
    found = [s for s in shifts(rotation, shift_start, shift_start + dt.timedelta(microseconds=1))
             if s.start == shift_start]
    if not found:
        raise ApplicationError(f"No shift of {rotation.name} starts at {shift_start:%Y-%m-%d %H:%M} UTC.")
    shift = found[0]
    if not shift.conflicts:
        raise ApplicationError("That shift has no conflict to resolve.")
    proposal = propose_conflict_resolution(rotation, shift)
    if proposal is None:
        raise ApplicationError(f"Nobody else in {rotation.name} can cover {display_name(shift.user)}'s shift.")
    return _override_insert(
        rotation=rotation, user=proposal.user, start=proposal.start, end=proposal.end,
        reason=proposal.reason, created_by=actor,
    )


@transaction.atomic
def rotation_calendar_token_rotate(*, rotation: Rotation) -> str:
    """Give the rotation's calendar feed a new URL; the old one stops working at once."""
    rotation.calendar_token = new_feed_token()
    rotation.save(update_fields=["calendar_token"])
    return rotation.calendar_token
