"""The team schedule: who is on call now and the published six weeks of each rotation, conflicts
highlighted and overrides or swaps marked. Managers and leads resolve a conflict from here."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from oncall import services
from oncall.eligibility import display_name
from oncall.schedule import PUBLISHED_WEEKS, on_call
from oncall.selectors import is_team_approver, teams_of
from oncall.views.access import visible_team
from oncall.views.published import schedule_rows


@login_required
def team_schedule(request, slug: str):
    team = visible_team(request.user, slug)
    can_resolve = is_team_approver(request.user, team)
    rotations = []
    for rotation in team.rotations.select_related("team").order_by("kind"):
        feed = reverse("oncall:calendar_rotation", kwargs={"token": rotation.calendar_token})
        rotations.append({
            "rotation": rotation,
            "rows": schedule_rows(rotation, proposals=can_resolve),
            "members": [m.user for m in rotation.rotation_members.select_related("user").order_by("position")],
            "feed_url": request.build_absolute_uri(feed),
        })
    return render(request, "oncall/team_schedule.html", {
        "team": team,
        "teams": teams_of(request.user).order_by("name"),
        "now": on_call(team),
        "rotations": rotations,
        "can_resolve": can_resolve,
        "weeks": PUBLISHED_WEEKS,
    })


@login_required
@require_POST
def conflict_resolve(request, slug: str, rotation_pk: int):
    """Put the next eligible member on call for a conflicted shift (services.shift_conflict_resolve).
    PermissionDenied (not a manager or lead of the team) becomes a 403."""
    team = visible_team(request.user, slug)
    rotation = get_object_or_404(team.rotations.select_related("team"), pk=rotation_pk)
    try:
        shift_start = dt.datetime.fromisoformat(request.POST.get("shift_start", ""))
    except ValueError:
        messages.error(request, "Choose a shift to resolve.")
    else:
        try:
            override = services.shift_conflict_resolve(rotation=rotation, shift_start=shift_start,
                                                       actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            start, end = override.start.astimezone(team.tz), override.end.astimezone(team.tz)
            messages.success(request, f"{display_name(override.user)} now covers {rotation.name} from "
                                      f"{start:%a %d %b %H:%M} to {end:%a %d %b %H:%M %Z}.")
    url = reverse("oncall:team_schedule", kwargs={"slug": team.slug})
    return HttpResponseRedirect(f"{url}#rotation-{rotation.pk}")
