"""Who may see which on-call page, and which swap buttons to offer.

Visibility: a team's schedule is for its members (any role; superusers see all), a swap for its team's
members and the people in it. Anything else answers 404, so a URL does not reveal that it exists.
"""

from __future__ import annotations

import zoneinfo

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from oncall.models import LIVE_SWAP_STATES, OnCallProfile, Rotation, RotationMember, SwapRequest, SwapState, Team
from oncall.selectors import is_team_approver, teams_of


def visible_team(user, slug: str) -> Team:
    return get_object_or_404(teams_of(user), slug=slug)


def visible_rotation(user, pk: int) -> Rotation:
    return get_object_or_404(Rotation.objects.filter(team__in=teams_of(user)).select_related("team"), pk=pk)


def swaps_visible_to(user):
    swaps = SwapRequest.objects.select_related("rotation__team", "requester", "offered_to", "accepted_by",
                                               "decided_by")
    if user.is_superuser:
        return swaps
    return swaps.filter(
        Q(rotation__team__in=teams_of(user)) | Q(requester=user) | Q(offered_to=user) | Q(accepted_by=user)
    )


def visible_swap(user, pk: int) -> SwapRequest:
    return get_object_or_404(swaps_visible_to(user), pk=pk)


def swap_buttons(user, swap: SwapRequest) -> dict[str, bool]:
    """Which steps to offer `user` on `swap`: a hint for the page. The services decide (and may still say
    no, e.g. when accepting would double-book the person)."""
    live = swap.state in LIVE_SWAP_STATES
    is_open = swap.state == SwapState.OPEN
    mine = user.pk == swap.requester_id
    named = swap.offered_to_id == user.pk
    approver = live and is_team_approver(user, swap.rotation.team)
    in_rotation = RotationMember.objects.filter(rotation_id=swap.rotation_id, user=user).exists()
    return {
        "accept": is_open and not mine and (named or (swap.offered_to_id is None and in_rotation)),
        "cancel": live and mine,
        "decline": live and (approver or (is_open and named)),
        "approve": swap.state == SwapState.ACCEPTED and approver
        and (user.is_superuser or user.pk not in (swap.requester_id, swap.accepted_by_id)),
    }


def clock_of(user) -> zoneinfo.ZoneInfo:
    """The person's own time zone (their on-call profile's), UTC without one."""
    zone = OnCallProfile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(zone or "UTC")


def safe_next(request, fallback: str) -> str:
    """Where to go back to after a POST: the page it came from when that is one of ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback
