from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from incidents import communications, page_links, paging_selectors, selectors
from incidents.forms import (
    AssignRoleForm,
    DirectPageForm,
    IncidentEditForm,
    SeverityForm,
    StatusUpdateForm,
    TransitionForm,
)
from incidents.maintenance_selectors import incident_paging_hold
from incidents.models import Incident, IncidentState, UpdateAudience
from incidents.noise_selectors import incident_alert_streams
from incidents.services.transitions import ACTION_LABELS, STAMPS
from incidents.views.runbook import render_runbook

# The lifecycle as the progress bar shows it, with the field that records when each state was reached.
PROGRESS = [(state, STAMPS.get(action) or "detected_at") for state, action in (
    (IncidentState.DETECTED, None),
    (IncidentState.ACKNOWLEDGED, "acknowledge"),
    (IncidentState.INVESTIGATING, "investigate"),
    (IncidentState.IDENTIFIED, "identify"),
    (IncidentState.RESOLVING, "mitigate"),
    (IncidentState.RESOLVED, "resolve"),
    (IncidentState.CLOSED, "close"),
)]


# Moving forward is the primary action; resolving early and reopening stand apart.
BUTTON_STYLES = {"resolve": "btn-success", "reopen": ""}


def lifecycle_actions(user, incident: Incident, *, can_act: bool | None = None, can_close: bool | None = None) -> dict:
    """Which transition buttons to show, from the one selector that knows (state, conditions, permission)."""
    result = {"buttons": [], "blocked": [], "close": False, "can_resolve": False}
    actions = selectors.incident_actions_for(user, incident, can_act=can_act, can_close=can_close)
    for action, ready in actions.items():
        label = ACTION_LABELS[action]
        if action == "close":
            # Closing's condition (a resolution summary) is met by the close form itself.
            result["close"] = True
        elif ready:
            result["buttons"].append((action, label, BUTTON_STYLES.get(action, "btn-primary")))
            result["can_resolve"] = result["can_resolve"] or action == "resolve"
        else:
            result["blocked"].append((action, label))
    return result


def progress_steps(incident: Incident) -> list[dict]:
    states = [state for state, _ in PROGRESS]
    current = states.index(incident.state)
    return [
        {
            "label": state.label,
            "at": getattr(incident, field),
            "status": "done" if index < current else "current" if index == current else "todo",
        }
        for index, (state, field) in enumerate(PROGRESS)
    ]


def detail_context(request, incident: Incident, *, forms: dict | None = None) -> dict:
    user = request.user
    now = timezone.now()
    detail = selectors.incident_detail(incident)
    can_act = selectors.can_act_on_incident(user, incident)
    can_close = can_act and selectors.can_close_incident(user, incident, can_act=True)
    templates = communications.all_templates(incident, assignments=detail["assignments"], now=now)

    compose = request.GET.get("compose")
    audience = request.GET.get("audience") if request.GET.get("audience") in UpdateAudience.values else "internal"
    update_initial = {"audience": audience}
    if compose in templates:
        update_initial["body"] = templates[compose][audience]

    forms = forms or {}
    context = {
        "incident": incident,
        **detail,
        "now": now,
        "can_act": can_act,
        "can_close": can_close,
        "actions": lifecycle_actions(user, incident, can_act=can_act, can_close=can_close),
        "progress": progress_steps(incident),
        "ack_overdue": bool(
            incident.is_open and incident.acknowledged_at is None
            and incident.ack_deadline and incident.ack_deadline < now
        ),
        "update_overdue": incident.next_update_due_at is not None and incident.next_update_due_at < now,
        "paging": paging_selectors.incident_paging(incident),
        "paging_hold": incident_paging_hold(incident, now=now),
        "runbook_html": render_runbook(incident.service.runbook),
        "related_links": page_links.links_for(incident, user),
        "alert_streams": incident_alert_streams(incident),
        "comm_kinds": communications.KINDS,
        "comm_templates": templates,
    }
    if can_act:
        context.update(
            transition_form=forms.get("transition_form")
            or TransitionForm(initial={"resolution_summary": incident.resolution_summary}),
            severity_form=forms.get("severity_form") or SeverityForm(initial={"severity": incident.severity}),
            assign_form=forms.get("assign_form") or AssignRoleForm(team=incident.service.team),
            update_form=forms.get("update_form") or StatusUpdateForm(initial=update_initial),
            edit_form=forms.get("edit_form") or IncidentEditForm.for_incident(incident),
            page_form=forms.get("page_form") or DirectPageForm(),
        )
    return context


@login_required
def incident_detail(request, pk: int):
    incident = selectors.incident_for_user(request.user, pk)
    return render(request, "incidents/detail.html", detail_context(request, incident))
