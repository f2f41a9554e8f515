"""The guide's self-service swap with approval.

Every step locks the swap row, checks its guards on the locked row, runs the django-fsm transition,
records a SwapRequestEvent and writes outbox notifications to the requester and the acceptor, all in
one transaction: of two people acting on the same request at once, exactly one wins and the other
gets a ConflictError saying what happened instead.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from config.errors import ApplicationError, ConflictError
from oncall.coverage import assert_can_cover
from oncall.eligibility import display_name
from oncall.models import (
    LIVE_SWAP_STATES,
    RESPONDER_ROLES,
    OnCallProfile,
    OverrideSource,
    Rotation,
    RotationMember,
    SwapRequest,
    SwapRequestEvent,
    SwapState,
    TeamMembership,
)
from oncall.schedule import shifts
from oncall.selectors import APPROVER_ROLES, is_team_approver
from oncall.services.locks import team_schedule_lock
from oncall.services.notifications import notification_enqueue
from oncall.services.rotations import _override_insert


def _lock(swap: SwapRequest | int) -> SwapRequest:
    pk = swap.pk if isinstance(swap, SwapRequest) else swap
    # Lock first, then read with joins: a statement that waited for the lock re-reads the locked row but
    # not rows joined to it, so a joined acceptor would still be the one from before the wait.
    SwapRequest.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()
    return SwapRequest.objects.select_related(
        "rotation__team", "requester", "offered_to", "accepted_by", "decided_by"
    ).get(pk=pk)


def _owns_span(rotation: Rotation, user, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether `user` is on call in `rotation` for all of [start, end) in the final schedule."""
    covered = start
    for shift in shifts(rotation, start, end):
        if shift.start > covered or shift.user != user:
            return False
        covered = shift.end
    return covered >= end


def _record(swap: SwapRequest, *, actor, from_state: str, at: dt.datetime, note: str = "") -> SwapRequestEvent:
    return SwapRequestEvent.objects.create(
        swap=swap, actor=actor, at=at, from_state=from_state, to_state=swap.state, note=note
    )


def _link(swap: SwapRequest) -> str:
    try:
        return settings.SITE_URL + reverse("oncall:swap_detail", kwargs={"pk": swap.pk})
    except NoReverseMatch:  # the swap pages are not built yet; the message stands on its own
        return ""


def _clock(user) -> zoneinfo.ZoneInfo:
    """The recipient's own time zone (their on-call profile's; UTC without one)."""
    zone = OnCallProfile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(zone or "UTC")


def _local(at: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return f"{at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}"


_HEADLINES = {
    SwapState.OPEN: "{requester} offers a {rotation} shift",
    SwapState.ACCEPTED: "{acceptor} accepted {requester}'s {rotation} swap; it awaits approval",
    SwapState.APPROVED: "Swap approved: {acceptor} covers {requester}'s {rotation} shift",
    SwapState.DECLINED: "Swap declined: {requester}'s {rotation} shift stays with {requester}",
    SwapState.CANCELLED: "Swap cancelled by {requester}",
    SwapState.EXPIRED: "Swap expired: {requester}'s {rotation} shift started before it was approved",
}


def _notify(swap: SwapRequest, *, actor, note: str, extra_recipients=()) -> None:
    """Tell the requester and the acceptor (or the person it is offered to) about this step."""
    names = {
        "requester": display_name(swap.requester),
        "acceptor": display_name(swap.accepted_by) if swap.accepted_by else "someone",
        "rotation": swap.rotation.name,
    }
    subject = f"[Watchkeeper] Swap #{swap.pk}: " + _HEADLINES[swap.state].format(**names)
    counterpart = swap.accepted_by or swap.offered_to
    recipients = {u.pk: u for u in (swap.requester, counterpart, *extra_recipients) if u is not None}
    by = display_name(actor) if actor else "Watchkeeper"
    for user in recipients.values():
        tz = _clock(user)
        body = (
            f"{subject.removeprefix('[Watchkeeper] ')}.\n\n"
            f"Shift: {swap.rotation} from {_local(swap.start, tz)} to {_local(swap.end, tz)}.\n"
            f"Offered to: {display_name(swap.offered_to) if swap.offered_to else 'anyone in the rotation'}.\n"
            f"Step by: {by}.\n"
            + (f"Note: {note}\n" if note else "")
        )
        notification_enqueue(
            recipient=user, subject=subject, body=body, link=_link(swap),
            idempotency_key=f"swap:{swap.pk}:{swap.state}:{user.pk}",
        )


@transaction.atomic
def swap_request_create(
    *, requester, rotation: Rotation, start: dt.datetime, end: dt.datetime, offered_to=None, note: str = ""
) -> SwapRequest:
    """Offer [start, end) of the requester's on-call time in `rotation` to `offered_to` or, when None,
    to anyone in the rotation. Guarantees: the requester is on call for the whole span now; one open
    request per span start. Raises ApplicationError if the span is empty, started, not theirs, already
    offered, or offered to someone who is not a responder in the team."""
    now = timezone.now()
    if end <= start:
        raise ApplicationError("The offered span must end after it starts.", field="end")
    if start <= now:
        raise ApplicationError("That shift has already started; only future time can be swapped.", field="start")
    if offered_to is not None:
        if offered_to.pk == requester.pk:
            raise ApplicationError("Offer the shift to someone else.", field="offered_to")
        if not TeamMembership.objects.filter(
            team_id=rotation.team_id, user=offered_to, role__in=RESPONDER_ROLES
        ).exists():
            raise ApplicationError(f"{display_name(offered_to)} is not a responder in {rotation.team}.",
                                   field="offered_to")
    if not _owns_span(rotation, requester, start, end):
        raise ApplicationError(f"You are not on call in {rotation.name} for all of that time.", field="start")
    overlapping = SwapRequest.objects.filter(
        rotation=rotation, requester=requester, state__in=LIVE_SWAP_STATES, start__lt=end, end__gt=start
    ).first()
    if overlapping:
        raise ApplicationError(f"You already offered part of that time in swap #{overlapping.pk}.")
    try:
        with transaction.atomic():
            swap = SwapRequest.objects.create(
                rotation=rotation, requester=requester, start=start, end=end, offered_to=offered_to, note=note
            )
    except IntegrityError as exc:  # a concurrent identical request won
        raise ConflictError("You already offered that shift.") from exc
    _record(swap, actor=requester, from_state="", at=now, note=note)
    others = () if offered_to else [
        m.user for m in RotationMember.objects.filter(rotation=rotation).exclude(user=requester).select_related("user")
    ]
    _notify(swap, actor=requester, note=note, extra_recipients=others)
    return swap


def _conflict(swap: SwapRequest, doing: str) -> ConflictError:
    if swap.state == SwapState.ACCEPTED and doing == "accept":
        return ConflictError(f"Swap #{swap.pk} was already accepted by {display_name(swap.accepted_by)}.")
    if swap.state == SwapState.OPEN and doing == "approve":
        return ConflictError(f"Swap #{swap.pk} has not been accepted yet.")
    by = f" by {display_name(swap.decided_by)}" if swap.decided_by and swap.state != SwapState.CANCELLED else ""
    return ConflictError(f"Cannot {doing}: swap #{swap.pk} is already {swap.get_state_display().lower()}{by}.")


def _assert_not_started(swap: SwapRequest, now: dt.datetime) -> None:
    if swap.start <= now:
        raise ConflictError(f"Swap #{swap.pk}'s shift has already started.")


@transaction.atomic
def swap_request_accept(*, swap: SwapRequest | int, user, note: str = "") -> SwapRequest:
    """Take over the offered span (pending a manager's or lead's approval). Guarantees: of two people
    accepting at once exactly one wins. Raises ConflictError (already accepted or closed, or the shift
    started), PermissionDenied (offered to someone else, or not in the rotation), ApplicationError (own
    request, already on call then, not eligible, a blackout, or on call in the team's other rotation)."""
    locked = _lock(swap)
    now = timezone.now()
    if locked.state != SwapState.OPEN:
        raise _conflict(locked, "accept")
    _assert_not_started(locked, now)
    if user.pk == locked.requester_id:
        raise ApplicationError("You cannot accept your own swap request.")
    if locked.offered_to_id and user.pk != locked.offered_to_id:
        raise PermissionDenied(f"Swap #{locked.pk} is offered to {display_name(locked.offered_to)} only.")
    if not locked.offered_to_id and not RotationMember.objects.filter(rotation=locked.rotation, user=user).exists():
        raise PermissionDenied(f"Only members of {locked.rotation.name} can accept this swap.")
    if not _owns_span(locked.rotation, locked.requester, locked.start, locked.end):
        raise ConflictError(f"The schedule changed: {display_name(locked.requester)} no longer holds that time.")
    if any(s.user == user for s in shifts(locked.rotation, locked.start, locked.end)):
        raise ApplicationError(f"You are already on call in {locked.rotation.name} during that time.")
    assert_can_cover(rotation=locked.rotation, user=user, start=locked.start, end=locked.end)
    from_state = locked.state
    locked.accept()
    locked.accepted_by = user
    locked.accepted_at = now
    locked.save()
    _record(locked, actor=user, from_state=from_state, at=now, note=note)
    approvers = [
        m.user for m in TeamMembership.objects.filter(team_id=locked.rotation.team_id, role__in=APPROVER_ROLES)
        .select_related("user")
    ]
    _notify(locked, actor=user, note=note, extra_recipients=approvers)
    return locked


@transaction.atomic
def swap_request_approve(*, swap: SwapRequest | int, user, note: str = "") -> SwapRequest:
    """Approve an accepted swap: the acceptor gets an Override for the span, in the same transaction.
    Guarantees: at most one override per swap; the guards are re-checked under the team's schedule
    lock. Raises PermissionDenied (not a manager or lead of the team, or one of the two swapping),
    ConflictError (not accepted, already decided, shift started, schedule changed), ApplicationError
    (the acceptor can no longer cover the span)."""
    pk = swap.pk if isinstance(swap, SwapRequest) else swap
    team_id = SwapRequest.objects.filter(pk=pk).values_list("rotation__team_id", flat=True).get()
    team_schedule_lock(team_id)
    locked = _lock(pk)
    now = timezone.now()
    if not is_team_approver(user, locked.rotation.team):
        raise PermissionDenied("Only a manager or lead of the team can approve swaps.")
    if user.pk in (locked.requester_id, locked.accepted_by_id) and not user.is_superuser:
        raise PermissionDenied("Someone other than the two people swapping must approve it.")
    if locked.state != SwapState.ACCEPTED:
        raise _conflict(locked, "approve")
    _assert_not_started(locked, now)
    if not _owns_span(locked.rotation, locked.requester, locked.start, locked.end):
        raise ConflictError(f"The schedule changed: {display_name(locked.requester)} no longer holds that time.")
    from_state = locked.state
    locked.approve()
    locked.decided_by = user
    locked.decided_at = now
    locked.save()
    _override_insert(
        rotation=locked.rotation, user=locked.accepted_by, start=locked.start, end=locked.end,
        reason=f"Swap #{locked.pk}: covers {display_name(locked.requester)}", created_by=user,
        source=OverrideSource.SWAP, swap=locked,
    )
    _record(locked, actor=user, from_state=from_state, at=now, note=note)
    _notify(locked, actor=user, note=note)
    return locked


@transaction.atomic
def swap_request_decline(*, swap: SwapRequest | int, user, note: str = "") -> SwapRequest:
    """Decline a live swap: a manager or lead of the team at any live step, or the named colleague
    while it is open. Raises PermissionDenied otherwise, ConflictError if it is no longer live."""
    locked = _lock(swap)
    approver = is_team_approver(user, locked.rotation.team)
    if not approver and locked.offered_to_id != user.pk:
        raise PermissionDenied("Only a manager or lead of the team, or the colleague it is offered to, can decline.")
    if locked.state not in LIVE_SWAP_STATES:
        raise _conflict(locked, "decline")
    if not approver and locked.state != SwapState.OPEN:
        raise ConflictError(f"You already accepted swap #{locked.pk}; only a manager or lead can decline it now.")
    now = timezone.now()
    from_state = locked.state
    locked.decline()
    locked.decided_by = user
    locked.decided_at = now
    locked.save()
    _record(locked, actor=user, from_state=from_state, at=now, note=note)
    _notify(locked, actor=user, note=note)
    return locked


@transaction.atomic
def swap_request_cancel(*, swap: SwapRequest | int, user, note: str = "") -> SwapRequest:
    """The requester withdraws a live swap. Raises PermissionDenied for anyone else, ConflictError if it
    is no longer live (approved swaps are undone with a new override or swap, not by cancelling)."""
    locked = _lock(swap)
    if user.pk != locked.requester_id:
        raise PermissionDenied("Only the requester can cancel a swap request.")
    if locked.state not in LIVE_SWAP_STATES:
        raise _conflict(locked, "cancel")
    now = timezone.now()
    from_state = locked.state
    locked.cancel()
    locked.closed_at = now
    locked.save()
    _record(locked, actor=user, from_state=from_state, at=now, note=note)
    _notify(locked, actor=user, note=note)
    return locked


def swap_requests_expire(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Sweep: live requests whose span has started become expired; returns how many did.
    Guarantees: safe to run concurrently (rows locked by another sweep or step are skipped and
    picked up next time); each request expires in its own short transaction."""
    now = now or timezone.now()
    expired = 0
    due = list(
        SwapRequest.objects.filter(state__in=LIVE_SWAP_STATES, start__lte=now)
        .order_by("start").values_list("pk", flat=True)[:batch_size]
    )
    for pk in due:
        with transaction.atomic():
            got = SwapRequest.objects.select_for_update(skip_locked=True).filter(
                pk=pk, state__in=LIVE_SWAP_STATES, start__lte=now
            ).values_list("pk", flat=True)
            if not got:
                continue
            locked = SwapRequest.objects.select_related("rotation__team", "requester", "offered_to", "accepted_by").get(
                pk=pk
            )
            from_state = locked.state
            locked.expire()
            locked.closed_at = now
            locked.save()
            _record(locked, actor=None, from_state=from_state, at=now, note="The shift started before approval.")
            _notify(locked, actor=None, note="")
            expired += 1
    return expired
