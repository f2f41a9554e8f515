"""Swap pages: request a swap, see one, and take its next step (accept, cancel, decline, approve).

Every step is one service call. An ApplicationError (or ConflictError: someone acted first) shows the
swap again with the message and the matching status; PermissionDenied becomes a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from oncall import services
from oncall.calendars import WEEKS_AHEAD
from oncall.eligibility import display_name
from oncall.forms import SwapActionForm, SwapRequestForm, add_application_error
from oncall.models import RESPONDER_ROLES, TeamMembership
from oncall.selectors import teams_of
from oncall.views.access import clock_of, safe_next, swap_buttons, visible_swap
from oncall.views.mine import offerable_shifts

SWAP_STEPS = {
    "accept": (services.swap_request_accept, "You accepted swap #{pk}; a manager or lead of the team approves it."),
    "cancel": (services.swap_request_cancel, "Swap #{pk} is cancelled."),
    "decline": (services.swap_request_decline, "Swap #{pk} is declined."),
    "approve": (services.swap_request_approve, "Swap #{pk} is approved: {acceptor} is on call for that time."),
}


def _colleagues(user):
    """Responders of my teams other than me: the people I may name in a swap."""
    memberships = TeamMembership.objects.filter(team__in=teams_of(user), role__in=RESPONDER_ROLES)
    return (
        get_user_model().objects.filter(pk__in=memberships.values("user_id"), is_active=True)
        .exclude(pk=user.pk).order_by("first_name", "last_name", "username")
    )


@login_required
def swap_new(request):
    shifts = offerable_shifts(request.user, now=timezone.now(), weeks=WEEKS_AHEAD)
    form = SwapRequestForm(
        request.POST or None, shifts=shifts, colleagues=_colleagues(request.user),
        initial={"shift": request.GET.get("shift", "")},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                swap = services.swap_request_create(requester=request.user, **form.service_kwargs())
            except ApplicationError as exc:
                add_application_error(form, exc)
                status = exc.status_code
            else:
                offered = display_name(swap.offered_to) if swap.offered_to else "everyone in the rotation"
                messages.success(request, f"Swap #{swap.pk} offered to {offered}.")
                return HttpResponseRedirect(reverse("oncall:swap_detail", kwargs={"pk": swap.pk}))
    return render(request, "oncall/swap_new.html", {"form": form, "has_shifts": bool(shifts)}, status=status)


def _detail(request, pk: int, *, status: int = 200, action_form: SwapActionForm | None = None):
    swap = visible_swap(request.user, pk)
    buttons = swap_buttons(request.user, swap)
    return render(request, "oncall/swap_detail.html", {
        "swap": swap,
        "team_tz": swap.rotation.team.time_zone,
        "my_tz": clock_of(request.user).key,
        "buttons": buttons,
        # What pressing Enter in the note field does: the first step offered.
        "default_action": next((step for step in SWAP_STEPS if buttons.get(step)), "accept"),
        "events": swap.events.select_related("actor").order_by("at", "id"),
        "action_form": action_form or SwapActionForm(),
    }, status=status)


@login_required
def swap_detail(request, pk: int):
    return _detail(request, pk)


@login_required
@require_POST
def swap_act(request, pk: int, action: str):
    if action not in SWAP_STEPS:
        raise Http404("No such step.")
    swap = visible_swap(request.user, pk)
    form = SwapActionForm(request.POST)
    if not form.is_valid():
        return _detail(request, pk, status=400, action_form=form)
    service, done = SWAP_STEPS[action]
    try:
        swap = service(swap=swap, user=request.user, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _detail(request, pk, status=exc.status_code, action_form=form)
    acceptor = display_name(swap.accepted_by) if swap.accepted_by else ""
    messages.success(request, done.format(pk=swap.pk, acceptor=acceptor))
    return HttpResponseRedirect(safe_next(request, reverse("oncall:swap_detail", kwargs={"pk": swap.pk})))
