"""The detail page's POST endpoints. Each calls one service; on success it redirects back to the page
(so a reload does not repeat the action), on an ApplicationError it shows the page again with the
message, keeping what was typed. PermissionDenied from a service becomes a 403."""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from incidents import selectors, services
from incidents.forms import AssignRoleForm, IncidentEditForm, SeverityForm, StatusUpdateForm, TransitionForm
from incidents.models import Incident, IncidentRole
from incidents.views.detail import detail_context


def _incident_to_act_on(request, pk: int) -> Incident:
    """404 when the user cannot see it, 403 when they may only look (stakeholders)."""
    incident = selectors.incident_for_user(request.user, pk)
    if not selectors.can_act_on_incident(request.user, incident):
        raise PermissionDenied("You can view this incident but not act on it.")
    return incident


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _back(incident: Incident, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("incidents:detail", kwargs={"pk": incident.pk})
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def _show_again(request, pk: int, *, status: int = 400, **forms):
    # Re-read: the failed service call rolled back, and someone else may have acted meanwhile.
    incident = selectors.incident_for_user(request.user, pk)
    return render(request, "incidents/detail.html", detail_context(request, incident, forms=forms), status=status)


def _failed(request, pk: int, exc: ApplicationError, form_name: str, form: django_forms.Form):
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        messages.error(request, exc.message)
    return _show_again(request, pk, status=exc.status_code, **{form_name: form})


@login_required
@require_POST
def incident_transition(request, pk: int, action: str):
    incident = _incident_to_act_on(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _show_again(request, pk, transition_form=form)
    try:
        incident = services.incident_transition(
            incident=incident, user=request.user, action=action, **form.service_kwargs(action)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _show_again(request, pk, status=exc.status_code, transition_form=form)
    messages.success(request, f"{incident.reference} is now {incident.get_state_display().lower()}.")
    return _back(incident)


@login_required
@require_POST
def incident_change_severity(request, pk: int):
    incident = _incident_to_act_on(request, pk)
    form = SeverityForm(request.POST)
    if not form.is_valid():
        return _show_again(request, pk, severity_form=form)
    try:
        incident = services.incident_change_severity(
            incident=incident, user=request.user, severity=form.cleaned_data["severity"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        return _failed(request, pk, exc, "severity_form", form)
    messages.success(request, f"{incident.reference} is now {incident.severity}.")
    return _back(incident)


@login_required
@require_POST
def incident_assign_role(request, pk: int):
    incident = _incident_to_act_on(request, pk)
    form = AssignRoleForm(request.POST, team=incident.service.team)
    if not form.is_valid():
        return _show_again(request, pk, assign_form=form)
    try:
        assignment = services.incident_assign_role(
            incident=incident, role=form.cleaned_data["role"], assignee=form.cleaned_data["assignee"],
            user=request.user,
        )
    except ApplicationError as exc:
        if exc.field == "assignee":
            exc.field = "username" if form.cleaned_data.get("username") else "member"
        return _failed(request, pk, exc, "assign_form", form)
    messages.success(request, f"{_name(assignment.user)} is {assignment.get_role_display()}.")
    return _back(incident, "roles")


@login_required
@require_POST
def incident_relieve_role(request, pk: int, assignment_pk: int):
    incident = _incident_to_act_on(request, pk)
    assignment = get_object_or_404(incident.role_assignments, pk=assignment_pk)
    try:
        services.incident_relieve_role(assignment=assignment, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{_name(assignment.user)} is no longer {IncidentRole(assignment.role).label}.")
    return _back(incident, "roles")


@login_required
@require_POST
def incident_post_update(request, pk: int):
    incident = _incident_to_act_on(request, pk)
    form = StatusUpdateForm(request.POST)
    if not form.is_valid():
        return _show_again(request, pk, update_form=form)
    try:
        update = services.status_update_post(
            incident=incident, user=request.user, body=form.cleaned_data["body"],
            audience=form.cleaned_data["audience"],
        )
    except ApplicationError as exc:
        return _failed(request, pk, exc, "update_form", form)
    messages.success(request, f"{update.get_audience_display()} update posted.")
    return _back(incident, "updates")


@login_required
@require_POST
def incident_edit(request, pk: int):
    incident = _incident_to_act_on(request, pk)
    form = IncidentEditForm.for_incident(incident, data=request.POST)
    if not form.is_valid():
        return _show_again(request, pk, edit_form=form)
    if not form.has_changed():
        messages.info(request, "Nothing changed.")
        return _back(incident)
    try:
        incident = services.incident_update(
            incident=incident, user=request.user, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
    except ApplicationError as exc:
        return _failed(request, pk, exc, "edit_form", form)
    messages.success(request, f"{incident.reference} saved.")
    return _back(incident)
