"""Read queries, already scoped to what the user may see."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from incidents.models import (
    OPEN_STATES,
    Incident,
    IncidentRole,
    RoleAssignment,
    Service,
    SeverityPolicy,
    StatusUpdate,
    TimelineEntry,
    UpdateAudience,
)
from oncall.selectors import is_team_manager


def services_visible_to(user) -> QuerySet[Service]:
    if not user.is_authenticated:
        return Service.objects.none()
    return get_objects_for_user(
        user, "incidents.view_service", Service.objects.select_related("team"), accept_global_perms=False
    )


def services_declarable_by(user) -> QuerySet[Service]:
    if not user.is_authenticated:
        return Service.objects.none()
    return get_objects_for_user(
        user, "incidents.declare_incident", Service.objects.filter(is_active=True).select_related("team"),
        accept_global_perms=False,
    )


def incidents_visible_to(user) -> QuerySet[Incident]:
    if not user.is_authenticated:
        return Incident.objects.none()
    return get_objects_for_user(
        user,
        "incidents.view_incident",
        Incident.objects.select_related("service", "service__team", "acknowledged_by"),
        accept_global_perms=False,
    )


def incident_list(
    user, *, scope: str = "teams", state: str = "", severity: str = "", service: str = "", team: str = ""
) -> QuerySet[Incident]:
    """The incident list: `mine` (I hold a role or declared or acknowledged it), `teams` (my teams'),
    `open` (every open incident I may see)."""
    qs = incidents_visible_to(user)
    if scope == "mine":
        qs = qs.filter(
            pk__in=RoleAssignment.objects.filter(user=user, relieved_at__isnull=True).values("incident_id")
        ) | qs.filter(declared_by=user) | qs.filter(acknowledged_by=user)
    elif scope == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif scope == "teams" and not user.is_superuser:
        qs = qs.filter(service__team__memberships__user=user)
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if severity:
        qs = qs.filter(severity=severity)
    if service:
        qs = qs.filter(service__slug=service)
    if team:
        qs = qs.filter(service__team__slug=team)
    return qs.distinct().order_by("-detected_at", "-id")


def incident_for_user(user, pk: int) -> Incident:
    """The incident, or 404 when it does not exist or the user may not see it."""
    try:
        return incidents_visible_to(user).get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such incident.") from exc


def incident_detail(incident: Incident) -> dict:
    assignments = list(
        incident.role_assignments.filter(relieved_at__isnull=True).select_related("user").order_by("role", "id")
    )
    policy = SeverityPolicy.objects.filter(severity=incident.severity).first()
    required = list(policy.required_roles) if policy else []
    held = {a.role for a in assignments}
    return {
        "assignments": assignments,
        "missing_roles": [IncidentRole(r) for r in required if r not in held],
        "timeline": list(
            TimelineEntry.objects.filter(incident=incident).select_related("actor").order_by("at", "id")
        ),
        "status_updates": list(
            StatusUpdate.objects.filter(incident=incident).select_related("posted_by").order_by("-posted_at")
        ),
        "policy": policy,
    }


def can_view_incident(user, incident: Incident) -> bool:
    return user.is_authenticated and user.has_perm("incidents.view_incident", incident)


def can_act_on_incident(user, incident: Incident) -> bool:
    return user.is_authenticated and user.has_perm("incidents.change_incident", incident)


def is_commander(user, incident: Incident) -> bool:
    return incident.role_assignments.filter(
        role=IncidentRole.COMMANDER, user=user, relieved_at__isnull=True
    ).exists()


def can_close_incident(user, incident: Incident) -> bool:
    """Closing needs the Incident Commander role on this incident or a manager of the owning team."""
    return can_act_on_incident(user, incident) and (
        is_commander(user, incident) or is_team_manager(user, incident.service.team)
    )


def incident_actions_for(user, incident: Incident) -> dict[str, bool]:
    """The lifecycle actions `user` may take on `incident` from its current state, in lifecycle order,
    each mapped to whether django-fsm's conditions hold now (False: shown as blocked, e.g. a P1
    without a commander, or close before a resolution summary). Filtered by the permission rules
    incident_transition enforces. For showing buttons only; the service still decides."""
    from django_fsm import can_proceed

    if not can_act_on_incident(user, incident):
        return {}
    actions = {}
    for transition in incident.get_all_state_transitions():
        name = transition.name
        if name in actions or not can_proceed(getattr(incident, name), check_conditions=False):
            continue
        if name == "close" and not can_close_incident(user, incident):
            continue
        actions[name] = can_proceed(getattr(incident, name))
    return actions


def public_status(*, history_days: int = 90) -> dict:
    """What the public status page shows: no login, external updates only."""
    from django.utils import timezone

    since = timezone.now() - timezone.timedelta(days=history_days)
    external = Prefetch(
        "status_updates",
        queryset=StatusUpdate.objects.filter(audience=UpdateAudience.EXTERNAL).order_by("-posted_at"),
        to_attr="external_updates",
    )
    open_incidents = list(
        Incident.objects.filter(state__in=OPEN_STATES, service__is_active=True)
        .select_related("service")
        .prefetch_related(external)
        .order_by("severity", "-detected_at")
    )
    services = list(Service.objects.filter(is_active=True).order_by("name"))
    worst = {}
    for incident in open_incidents:
        current = worst.get(incident.service_id)
        if current is None or incident.severity < current:
            worst[incident.service_id] = incident.severity
    history = list(
        Incident.objects.filter(
            detected_at__gte=since, state__in=("resolved", "closed"), service__is_active=True, false_alarm=False
        )
        .select_related("service")
        .prefetch_related(external)
        .order_by("-detected_at")[:200]
    )
    return {
        "services": [(s, worst.get(s.pk)) for s in services],
        "open_incidents": open_incidents,
        "history": history,
        "history_days": history_days,
    }


# --- the API's reads (incidents.api): nested lists of an incident already checked with incident_for_user ----


def incident_timeline(incident: Incident) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(incident=incident).select_related("actor")


def incident_status_updates(incident: Incident) -> QuerySet[StatusUpdate]:
    return StatusUpdate.objects.filter(incident=incident).select_related("posted_by")


def incident_role_assignments(incident: Incident) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(incident=incident).select_related("user", "assigned_by")
