"""Read queries, already scoped to what the user may see."""

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from incidents.models import (
    OPEN_STATES,
    Incident,
    IncidentGroupObjectPermission,
    IncidentRole,
    IncidentUserObjectPermission,
    RoleAssignment,
    Service,
    ServiceGroupObjectPermission,
    ServiceUserObjectPermission,
    SeverityPolicy,
    StatusUpdate,
    TimelineEntry,
    TimelineKind,
    UpdateAudience,
)
from oncall.selectors import is_team_manager

# What a list row reads of a person: their name. Never the password hash and the rest of auth_user.
USER_LIST_FIELDS = ("id", "username", "first_name", "last_name")


def services_visible_to(user) -> QuerySet[Service]:
    if not user.is_authenticated:
        return Service.objects.none()
    return get_objects_for_user(
        user, "incidents.view_service", Service.objects.select_related("team"), accept_global_perms=False
    )


def services_with_visible_incidents(user) -> QuerySet[Service]:
    """The services the user's incidents can be on, for list filters: those they may see (their teams') and
    those of incidents granted to them personally. Found from the grants, never by reading the incidents."""
    if not user.is_authenticated:
        return Service.objects.none()
    if user.is_superuser:
        return Service.objects.select_related("team")
    # The grant tables directly, as incident_view_grants does (guardian's query costs more to build than to run).
    service_groups, service_own = _view_grant_rows(user, Service)
    _, own = _view_grant_rows(user)
    return Service.objects.filter(
        Q(pk__in=service_groups.values("content_object_id"))
        | Q(pk__in=service_own.values("content_object_id"))
        | Q(pk__in=Incident.objects.filter(pk__in=own.values("content_object_id")).values("service_id"))
    ).select_related("team")


def services_declarable_by(user) -> QuerySet[Service]:
    if not user.is_authenticated:
        return Service.objects.none()
    return get_objects_for_user(
        user, "incidents.declare_incident", Service.objects.filter(is_active=True).select_related("team"),
        accept_global_perms=False,
    )


def incident_view_grants(user) -> Q:
    """The incidents `user` may view through an object permission: one granted to a group they belong to (the
    team groups hold these on every team incident) or to them personally (role holders and paged people from
    other teams). Exactly what guardian's get_objects_for_user(user, "incidents.view_incident",
    accept_global_perms=False) answers for a non-superuser, as two `id IN (…)` over the direct-FK permission
    tables' unique indexes: PostgreSQL hashes the user's grants once (an index-only scan) and walks the incidents
    in the order of an index, so a list page stops after its rows. guardian's query also joins every grant back
    to incidents_incident (a second pass over all of them) and reaches the groups through auth_group."""
    through_groups, own = _view_grant_rows(user)
    return Q(pk__in=through_groups.values("content_object_id")) | Q(pk__in=own.values("content_object_id"))


def _view_grant_rows(user, model=Incident) -> tuple[QuerySet, QuerySet]:
    """The view grants on `model` (Incident or Service) the user holds through their groups, and personally."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    through_groups, personal = VIEW_GRANT_TABLES[model]
    view = {
        "permission__content_type_id": ContentType.objects.get_for_model(model).pk,  # cached after the first
        "permission__codename": f"view_{model._meta.model_name}",
    }
    groups = get_user_model().groups.through.objects.filter(user_id=user.pk).values("group_id")
    return (
        through_groups.objects.filter(group_id__in=groups, **view),
        personal.objects.filter(user_id=user.pk, **view),
    )


VIEW_GRANT_TABLES = {
    Incident: (IncidentGroupObjectPermission, IncidentUserObjectPermission),
    Service: (ServiceGroupObjectPermission, ServiceUserObjectPermission),
}


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Every incident the user may see, with what a list row shows (service, team, acknowledger) joined in."""
    if not user.is_authenticated:
        return Incident.objects.none()
    incidents = Incident.objects.select_related("service", "service__team", "acknowledged_by")
    if user.is_superuser:
        return incidents
    return incidents.filter(incident_view_grants(user))


def incidents_for_listing(
    incidents: QuerySet[Incident], *, people: tuple[str, ...] = ("acknowledged_by",), texts: bool = False
) -> QuerySet[Incident]:
    """A list's rows without the columns no list shows: the frozen escalation policy (a JSON document per
    row), the service's runbook and description, the `people` columns beyond their names (never the password
    hash), and unless `texts`, the incident's description and resolution summary."""
    from django.contrib.auth import get_user_model

    unlisted_user_fields = [
        f.name for f in get_user_model()._meta.concrete_fields if f.name not in USER_LIST_FIELDS
    ]
    deferred = ["escalation_snapshot", "service__description", "service__runbook"]
    deferred += [f"{person}__{name}" for person in people for name in unlisted_user_fields]
    if not texts:
        deferred += ["description", "resolution_summary"]
    return incidents.defer(*deferred)


def incident_list(
    user, *, scope: str = "teams", state: str = "", severity: str = "", service: str = "", team: str = "",
    counting: bool = False,
) -> QuerySet[Incident]:
    """The incident list: `mine` (I hold a role or declared or acknowledged it), `teams` (my teams'),
    `open` (every open incident I may see). Newest first; no filter duplicates a row, so there is no DISTINCT,
    which would make PostgreSQL sort every matching row before it could return the first page. `counting`: the
    same rows in the form PostgreSQL counts fastest (keyset_page's count_queryset; only `mine` has one)."""
    counted_mine = scope == "mine" and counting
    qs = _incidents_of_counted(user) if counted_mine else incidents_visible_to(user)
    if counted_mine:
        pass  # the candidates and the grants are in _incidents_of_counted
    elif scope == "mine":
        holds_role = RoleAssignment.objects.filter(user=user, relieved_at__isnull=True).values("incident_id")
        qs = qs.filter(Q(pk__in=holds_role) | Q(declared_by=user) | Q(acknowledged_by=user))
    elif scope == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif scope == "teams" and not user.is_superuser:
        # The ids themselves (a query of their own) rather than a subquery: joined as a subquery, the planner
        # may start from the services and sort all their older incidents for a deep page.
        team_services = Service.objects.filter(team__memberships__user=user).values_list("pk", flat=True)
        qs = qs.filter(service_id__in=list(team_services))
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
    return incidents_for_listing(qs).order_by("-detected_at", "-id")


def _incidents_of_counted(user) -> QuerySet[Incident]:
    """The "mine" list's rows in the form PostgreSQL counts fastest. Read in list order, the OR of incident_list
    (role, declarer, acknowledger) lets PostgreSQL walk the list's index and stop after a page; counted, it has
    no order to follow, so it tested incident after incident (a quarter of them) against that OR and a hash of
    all the user's grants until it had counted to the limit. Here the candidates come from three index scans
    (the role assignments' user index, the incidents' declared_by and acknowledged_by indexes) as one
    `id IN (… UNION ALL …)` of a few thousand ids (duplicates do not matter to IN), which PostgreSQL joins to
    the incidents by primary key, checking the grants of just those rows through the grants' content_object
    index (an EXISTS) and stopping at the limit."""
    if not user.is_authenticated:
        return Incident.objects.none()
    holds_role = RoleAssignment.objects.filter(user=user, relieved_at__isnull=True).order_by().values("incident_id")
    declared = Incident.objects.filter(declared_by=user).order_by().values("pk")
    acknowledged = Incident.objects.filter(acknowledged_by=user).order_by().values("pk")
    incidents = Incident.objects.select_related("service", "service__team", "acknowledged_by").filter(
        pk__in=holds_role.union(declared, acknowledged, all=True)
    )
    if user.is_superuser:
        return incidents
    return incidents.filter(_view_grant_exists(user))


def _view_grant_exists(user) -> Q:
    """incident_view_grants for a few incidents: an EXISTS per grant table through its content_object index.
    The permission is a scalar subquery (evaluated once), not a join that PostgreSQL would repeat per row."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    view = Subquery(
        Permission.objects.filter(
            content_type_id=ContentType.objects.get_for_model(Incident).pk, codename="view_incident"
        ).order_by().values("pk")
    )
    groups = get_user_model().groups.through.objects.filter(user_id=user.pk).values("group_id")
    grant = {"permission_id": view, "content_object_id": OuterRef("pk")}
    return Exists(IncidentGroupObjectPermission.objects.filter(group_id__in=groups, **grant)) | Exists(
        IncidentUserObjectPermission.objects.filter(user_id=user.pk, **grant)
    )


def incident_for_user(user, pk: int) -> Incident:
    """The incident, or 404 when it does not exist or the user may not see it. The same grants as
    incidents_visible_to, checked for this one row through the grants' content_object index (hashing all the
    user's grants, as a list does, costs more than the whole lookup)."""
    if not user.is_authenticated:
        raise Http404("No such incident.")
    incidents = Incident.objects.select_related("service", "service__team", "acknowledged_by", "declared_by")
    if not user.is_superuser:
        through_groups, own = _view_grant_rows(user)
        incidents = incidents.filter(
            Exists(through_groups.filter(content_object_id=OuterRef("pk")))
            | Exists(own.filter(content_object_id=OuterRef("pk")))
        )
    try:
        return incidents.get(pk=pk)
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
        "timeline": incident_timeline_for_page(incident),
        "status_updates": list(
            StatusUpdate.objects.filter(incident=incident).select_related("posted_by").order_by("-posted_at")
        ),
        "policy": policy,
    }


# An alert storm folded into one incident writes a "duplicate alert" entry per alert: thousands. The page lists
# the latest few and a line saying how many came before them; the API's timeline endpoint pages through all.
DUPLICATES_LISTED = 3


def incident_timeline_for_page(incident: Incident) -> list[TimelineEntry]:
    """The incident's timeline, oldest first, with its duplicate alerts beyond the latest DUPLICATES_LISTED
    summed up in one unsaved entry where the first of them was. Two queries, however many alerts came."""
    entries = list(
        TimelineEntry.objects.filter(incident=incident)
        .exclude(kind=TimelineKind.DEDUPLICATED)
        .select_related("actor")
        .order_by("at", "id")
    )
    duplicates = list(
        TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.DEDUPLICATED)
        .select_related("actor")
        .annotate(total=Window(Count("id")), first_at=Window(Min("at")))
        .order_by("-at", "-id")[:DUPLICATES_LISTED]
    )
    if duplicates and duplicates[0].total > len(duplicates):
        hidden = duplicates[0].total - len(duplicates)
        entries.append(TimelineEntry(
            incident=incident, kind=TimelineKind.DEDUPLICATED, at=duplicates[0].first_at,
            note=f"{hidden:,} more alerts with the same dedup key from here on; the latest {len(duplicates)} "
            "follow (the API's timeline lists every one).",
        ))
    entries += duplicates
    return sorted(entries, key=lambda entry: (entry.at, entry.pk or 0))


def can_view_incident(user, incident: Incident) -> bool:
    return user.is_authenticated and user.has_perm("incidents.view_incident", incident)


def can_act_on_incident(user, incident: Incident) -> bool:
    return user.is_authenticated and user.has_perm("incidents.change_incident", incident)


def is_commander(user, incident: Incident) -> bool:
    return incident.role_assignments.filter(
        role=IncidentRole.COMMANDER, user=user, relieved_at__isnull=True
    ).exists()


def can_close_incident(user, incident: Incident, *, can_act: bool | None = None) -> bool:
    """Closing needs the Incident Commander role on this incident or a manager of the owning team. `can_act`:
    can_act_on_incident's answer when the caller already has it (a page asks once, not per button)."""
    if can_act is None:
        can_act = can_act_on_incident(user, incident)
    return can_act and (is_commander(user, incident) or is_team_manager(user, incident.service.team))


def incident_actions_for(
    user, incident: Incident, *, can_act: bool | None = None, can_close: bool | None = None
) -> dict[str, bool]:
    """The lifecycle actions `user` may take on `incident` from its current state, in lifecycle order,
    each mapped to whether django-fsm's conditions hold now (False: shown as blocked, e.g. a P1
    without a commander, or close before a resolution summary). Filtered by the permission rules
    incident_transition enforces. For showing buttons only; the service still decides. `can_act` and
    `can_close`: the answers of can_act_on_incident and can_close_incident when the caller already has them."""
    from django_fsm import can_proceed

    if can_act is None:
        can_act = can_act_on_incident(user, incident)
    if not can_act:
        return {}
    actions = {}
    for transition in incident.get_all_state_transitions():
        name = transition.name
        if name in actions or not can_proceed(getattr(incident, name), check_conditions=False):
            continue
        if name == "close" and not (
            can_close if can_close is not None else can_close_incident(user, incident, can_act=True)
        ):
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
