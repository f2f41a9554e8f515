"""Can this person take over this span of this rotation? One answer for overrides, swaps and proposals."""

from __future__ import annotations

import datetime as dt

from config.errors import ApplicationError
from oncall.eligibility import display_name, missing_requirements
from oncall.models import RESPONDER_ROLES, Blackout, Rotation, TeamMembership
from oncall.schedule import shifts


def _when(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def coverage_problems(*, rotation: Rotation, user, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Why `user` cannot be on call in `rotation` during [start, end); empty when they can.

    Checks team membership as a responder, the guide's eligibility, blackouts, and double booking:
    nobody is on call in the team's primary and secondary rotation at the same time.
    """
    name = display_name(user)
    problems = [f"{name} {m.message}" for m in missing_requirements(user)]
    if not TeamMembership.objects.filter(team_id=rotation.team_id, user=user, role__in=RESPONDER_ROLES).exists():
        problems.append(f"{name} is not a responder in {rotation.team}")
    for blackout in Blackout.objects.filter(user=user, start__lt=end, end__gt=start).order_by("start"):
        problems.append(
            f"{name} has a blackout ({blackout.get_reason_display().lower()}) "
            f"from {_when(blackout.start)} to {_when(blackout.end)}"
        )
    for other in Rotation.objects.filter(team_id=rotation.team_id).exclude(pk=rotation.pk).select_related("team"):
        busy = [s for s in shifts(other, start, end) if s.user == user]
        if busy:
            problems.append(
                f"{name} is on call in {other.name} ({other.get_kind_display().lower()}) from "
                f"{_when(max(busy[0].start, start))}; nobody is primary and secondary at once"
            )
    return problems


def assert_can_cover(*, rotation: Rotation, user, start: dt.datetime, end: dt.datetime) -> None:
    """Raises ApplicationError listing every reason `user` cannot cover the span."""
    problems = coverage_problems(rotation=rotation, user=user, start=start, end=end)
    if problems:
        raise ApplicationError(
            f"{display_name(user)} cannot cover {rotation.name} from {_when(start)} to {_when(end)}: "
            + "; ".join(problems) + ".",
            extra={"problems": problems},
        )
