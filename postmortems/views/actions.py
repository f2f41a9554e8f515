"""State changes and quick action-item updates. Each calls one service, then redirects (a reload does not
repeat it); a refusal shows the page again with the message. PermissionDenied from a service is a 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from postmortems import selectors, services
from postmortems.forms import ActionItemStatusForm, TransitionForm
from postmortems.models import ActionItem, ActionItemStatus
from postmortems.services.transitions import ACTION_LABELS
from postmortems.views.pages import detail_context

DONE_MESSAGES = {"submit": "submitted for review", "publish": "published", "reopen": "reopened as a draft"}


@login_required
@require_POST
def postmortem_transition(request, pk: int, action: str):
    postmortem = selectors.postmortem_for_user(request.user, pk)
    if action not in ACTION_LABELS:
        raise Http404("No such action.")
    form = TransitionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        postmortem = services.postmortem_transition(
            postmortem=postmortem, user=request.user, action=action, note=note
        )
    except ApplicationError as exc:
        postmortem = selectors.postmortem_for_user(request.user, pk)  # the failed call rolled back
        context = detail_context(request, postmortem, transition_form=form, failed_action=action,
                                 error=exc.message, error_problems=exc.extra.get("problems", []))
        return render(request, "postmortems/detail.html", context, status=exc.status_code)
    messages.success(request, f"The post-mortem of {postmortem.incident.reference} is {DONE_MESSAGES[action]}.")
    return redirect("postmortems:detail", pk=postmortem.pk)


@login_required
def my_action_items(request):
    items = list(selectors.action_items_of(request.user))
    today = timezone.localdate()
    visible = set(
        selectors.postmortems_visible_to(request.user)
        .filter(pk__in={item.postmortem_id for item in items})
        .values_list("pk", flat=True)
    )
    for item in items:
        item.overdue = item.is_overdue(today)
        item.postmortem_visible = item.postmortem_id in visible
    return render(request, "postmortems/my_action_items.html", {
        "overdue": [item for item in items if item.overdue],
        "open": [item for item in items if item.is_open and not item.overdue],
        "closed": [item for item in items if not item.is_open],
        "statuses": ActionItemStatus,
        "today": today,
    })


@login_required
@require_POST
def action_item_status(request, pk: int):
    item = ActionItem.objects.select_related("postmortem__incident__service__team", "service__team").filter(
        pk=pk
    ).first()
    if item is None or not selectors.can_update_action_item(request.user, item):
        raise Http404("No such action item.")
    form = ActionItemStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
    else:
        try:
            item = services.action_item_set_status(
                item=item, user=request.user, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = ""
    return redirect(target or "postmortems:my_action_items")
