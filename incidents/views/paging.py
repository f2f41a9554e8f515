"""The incident page's paging endpoints: page an extra responder, acknowledge a reopened incident's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from incidents.forms import DirectPageForm
from incidents.services import paging
from incidents.views.actions import _back, _failed, _incident_to_act_on, _show_again


@login_required
@require_POST
def incident_page_responder(request, pk: int):
    incident = _incident_to_act_on(request, pk)
    form = DirectPageForm(request.POST)
    if not form.is_valid():
        return _show_again(request, pk, page_form=form)
    try:
        page = paging.incident_page_responder(incident=incident, user=request.user, **form.service_kwargs())
    except ApplicationError as exc:
        if exc.field == "user":
            exc.field = "username"
        return _failed(request, pk, exc, "page_form", form)
    messages.success(request, f"Paged {page.recipient_names}.")
    return _back(incident, "paging")


@login_required
@require_POST
def incident_page_acknowledge(request, pk: int):
    incident = _incident_to_act_on(request, pk)
    try:
        paging.incident_page_acknowledge(incident=incident, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _show_again(request, pk, status=exc.status_code)
    messages.success(request, "Page acknowledged: the escalation stopped.")
    return _back(incident, "paging")
