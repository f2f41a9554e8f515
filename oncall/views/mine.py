"""“My on-call”: my current and next shifts, swaps to and from me, hand-off notes, my calendar feed and
blackouts. Writes go through oncall.services; an ApplicationError shows the page again with the message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from oncall import services
from oncall.forms import BlackoutForm, HandoffNoteForm, OfferableShift, SwapActionForm, add_application_error
from oncall.models import LIVE_SWAP_STATES, Blackout, OnCallProfile, Rotation
from oncall.schedule import PUBLISHED_WEEKS, shift_at, user_shifts
from oncall.selectors import handoff_note_last, swap_requests_awaiting_decision_by, swap_requests_involving, teams_of
from oncall.views.access import clock_of, swap_buttons, visible_rotation

RECENT_SWAPS = 10


def offerable_shifts(user, *, now: dt.datetime, weeks: int) -> list[OfferableShift]:
    """The person's shifts from now to `weeks` ahead (the current one included), with their rotations."""
    mine = user_shifts(user, now, now + dt.timedelta(weeks=weeks))
    rotations = Rotation.objects.select_related("team").in_bulk({s.rotation_id for s in mine})
    return [OfferableShift(shift=s, rotation=rotations[s.rotation_id]) for s in mine]


def _swap_rows(user, swaps) -> list[dict]:
    return [{"swap": swap, "buttons": swap_buttons(user, swap)} for swap in swaps]


def _handoffs(user, now: dt.datetime, current: list[OfferableShift], forms: dict[int, HandoffNoteForm]) -> list[dict]:
    """For each of my rotations (and any I cover now): the last hand-off note, and a form when I am the
    outgoing on-call."""
    rotations = {r.pk: r for r in Rotation.objects.filter(rotation_members__user=user).select_related("team")}
    rotations.update({c.rotation.pk: c.rotation for c in current})
    result = []
    for rotation in sorted(rotations.values(), key=lambda r: (r.team.name, r.kind)):
        shift = shift_at(rotation, now)
        outgoing = shift is not None and shift.user == user
        result.append({
            "rotation": rotation,
            "note": handoff_note_last(rotation),
            "outgoing_until": shift.end if outgoing else None,
            "form": (forms.get(rotation.pk) or HandoffNoteForm()) if outgoing else None,
        })
    return result


def mine_context(request, *, handoff_forms: dict | None = None, blackout_form: BlackoutForm | None = None) -> dict:
    user = request.user
    now = timezone.now()
    tz = clock_of(user)
    shifts = offerable_shifts(user, now=now, weeks=PUBLISHED_WEEKS)
    current = [s for s in shifts if s.shift.start <= now]
    swaps = list(swap_requests_involving(user).order_by("-created_at", "-id"))
    from_me = [s for s in swaps if s.requester_id == user.pk]
    to_me = [s for s in swaps if s.requester_id != user.pk]
    awaiting = [s for s in swap_requests_awaiting_decision_by(user) if s.pk not in {x.pk for x in swaps}]
    profile = OnCallProfile.objects.filter(user=user).first()
    feed = request.build_absolute_uri(reverse("oncall:calendar_user", kwargs={"token": profile.calendar_token})) \
        if profile else ""
    return {
        "now": now,
        "tz": tz,
        "current": current,
        "upcoming": [s for s in shifts if s.shift.start > now],
        "to_me": _swap_rows(user, [s for s in to_me if s.state in LIVE_SWAP_STATES]),
        "from_me": _swap_rows(user, [s for s in from_me if s.state in LIVE_SWAP_STATES]),
        "awaiting": _swap_rows(user, awaiting),
        "recent": [s for s in swaps if s.state not in LIVE_SWAP_STATES][:RECENT_SWAPS],
        "action_form": SwapActionForm(),
        "handoffs": _handoffs(user, now, current, handoff_forms or {}),
        "profile": profile,
        "feed_url": feed,
        "webcal_url": feed.replace("https://", "webcal://").replace("http://", "webcal://") if feed else "",
        "teams": teams_of(user).order_by("name"),
        "blackouts": Blackout.objects.filter(user=user, end__gt=now).order_by("start"),
        "blackout_form": blackout_form or BlackoutForm(tz=tz),
    }


@login_required
def my_oncall(request):
    return render(request, "oncall/mine.html", mine_context(request))


def _back_to_mine(anchor: str = "") -> HttpResponseRedirect:
    url = reverse("oncall:mine")
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@login_required
@require_POST
def calendar_rotate(request):
    services.profile_calendar_token_rotate(user=request.user)
    messages.success(request, "Your calendar feed has a new URL; the old one no longer works. "
                              "Subscribe again with the new one.")
    return _back_to_mine("calendar")


@login_required
@require_POST
def handoff_write(request, pk: int):
    rotation = visible_rotation(request.user, pk)
    form = HandoffNoteForm(request.POST)
    if form.is_valid():
        try:
            note = services.handoff_note_write(rotation=rotation, author=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)  # on top: the form is gone if they are no longer on call
        else:
            when = note.shift_start.astimezone(rotation.team.tz)
            messages.success(request, f"Hand-off note saved for the {rotation.name} hand-off at "
                                      f"{when:%a %d %b %H:%M %Z}.")
            return _back_to_mine("handoff")
    context = mine_context(request, handoff_forms={rotation.pk: form})
    return render(request, "oncall/mine.html", context, status=400)


@login_required
@require_POST
def blackout_new(request):
    form = BlackoutForm(request.POST, tz=clock_of(request.user))
    if form.is_valid():
        try:
            blackout = services.blackout_create(user=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, f"Blackout recorded: {blackout.get_reason_display().lower()}. "
                                      "Shifts that overlap it now show as conflicts for your managers.")
            return _back_to_mine("blackouts")
    return render(request, "oncall/mine.html", mine_context(request, blackout_form=form), status=400)
