"""Read queries and permission rules for post-mortems, already scoped to what the user may see.

Who may do what follows the incident's object permissions: the owning team's responders (change
permission on the incident) see and edit drafts; viewers and stakeholders (view permission only) read
published post-mortems; anyone else gets a 404. Owners of an action item also read its published
post-mortem, even from another team.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from incidents.models import Incident, IncidentRole, IncidentState, RoleAssignment
from incidents.selectors import can_act_on_incident, can_view_incident, incidents_visible_to
from oncall.models import TeamMembership
from oncall.selectors import is_team_manager, teams_managed_by
from postmortems.models import (
    OPEN_ITEM_STATES,
    ActionItem,
    ContributingFactor,
    FishboneCategory,
    PostMortem,
    PostMortemEvent,
    PostMortemState,
    PostMortemTimelineEntry,
    Why,
)

S = PostMortemState
STARTABLE_INCIDENT_STATES = (IncidentState.RESOLVED, IncidentState.CLOSED)


def _base() -> QuerySet[PostMortem]:
    return PostMortem.objects.select_related("incident__service__team", "owner", "facilitator")


def _incidents_changeable_by(user) -> QuerySet[Incident]:
    return get_objects_for_user(user, "incidents.change_incident", Incident.objects.all(), accept_global_perms=False)


def postmortems_visible_to(user) -> QuerySet[PostMortem]:
    if not user.is_authenticated:
        return PostMortem.objects.none()
    published = Q(state=S.PUBLISHED) & (
        Q(incident__in=incidents_visible_to(user).values("pk"))
        | Q(pk__in=ActionItem.objects.filter(owner=user).values("postmortem_id"))
    )
    return _base().filter(Q(incident__in=_incidents_changeable_by(user).values("pk")) | published)


def postmortem_for_user(user, pk) -> PostMortem:
    """The post-mortem, or 404 when it does not exist or the user may not see it (a draft, for a viewer)."""
    try:
        return postmortems_visible_to(user).get(pk=pk)
    except (PostMortem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such post-mortem.") from exc


def postmortem_list(user, *, state: str = "", team: str = "", mine: bool = False) -> QuerySet[PostMortem]:
    qs = postmortems_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    if team:
        qs = qs.filter(incident__service__team__slug=team)
    if mine:
        qs = qs.filter(Q(owner=user) | Q(facilitator=user))
    return qs.order_by("-incident__detected_at", "-id")


# --- permission rules (one place each; services enforce them, pages use them to show buttons) -------


def can_view_postmortem(user, postmortem: PostMortem) -> bool:
    if not user.is_authenticated:
        return False
    if can_act_on_incident(user, postmortem.incident):
        return True
    return postmortem.is_published and (
        can_view_incident(user, postmortem.incident) or postmortem.action_items.filter(owner=user).exists()
    )


def can_edit_postmortem(user, postmortem: PostMortem) -> bool:
    """The team's responders edit drafts and post-mortems in review; published ones are read-only."""
    return postmortem.is_editable and can_act_on_incident(user, postmortem.incident)


def can_publish_postmortem(user, postmortem: PostMortem) -> bool:
    """Publishing is the owner's, the facilitator's or a team manager's call."""
    if not can_act_on_incident(user, postmortem.incident):
        return False
    return user.pk in (postmortem.owner_id, postmortem.facilitator_id) or is_team_manager(
        user, postmortem.incident.service.team
    )


def can_reopen_postmortem(user, postmortem: PostMortem) -> bool:
    """Only a manager of the owning team reopens a published post-mortem."""
    return can_view_incident(user, postmortem.incident) and is_team_manager(user, postmortem.incident.service.team)


def can_start_postmortem(user, incident: Incident) -> bool:
    """Responders start a post-mortem by hand once the incident is resolved (P1/P2 get one automatically)."""
    return incident.state in STARTABLE_INCIDENT_STATES and can_act_on_incident(user, incident)


def can_update_action_item(user, item: ActionItem) -> bool:
    """The item's owner, and the team's responders, move an action item along (also after publication)."""
    if not user.is_authenticated:
        return False
    if item.owner_id == user.pk:
        return True
    if item.postmortem_id is None:  # an alert hygiene item: the responders of its service's team
        return user.has_perm("incidents.declare_incident", item.service)
    return can_act_on_incident(user, item.postmortem.incident)


def postmortem_actions_for(user, postmortem: PostMortem) -> list[str]:
    """The state changes `user` may ask for now: for buttons only, the services decide."""
    actions = []
    if postmortem.state == S.DRAFT and can_edit_postmortem(user, postmortem):
        actions.append("submit")
    if postmortem.state == S.IN_REVIEW and can_publish_postmortem(user, postmortem):
        actions.append("publish")
    if postmortem.state == S.PUBLISHED and can_reopen_postmortem(user, postmortem):
        actions.append("reopen")
    return actions


# --- the incident's facts the post-mortem derives ----------------------------------------------


def incident_commander(incident: Incident):
    """The active Incident Commander, else whoever held the role last; None when nobody did."""
    commanders = RoleAssignment.objects.filter(incident=incident, role=IncidentRole.COMMANDER).select_related("user")
    assignment = commanders.filter(relieved_at__isnull=True).first() or commanders.order_by("-relieved_at").first()
    return assignment.user if assignment else None


def incident_roles_by_user(incident: Incident) -> dict[int, list[str]]:
    """user id -> the labels of the roles they held on the incident, for the attendee list."""
    roles: dict[int, list[str]] = {}
    for user_id, role in (
        RoleAssignment.objects.filter(incident=incident).order_by("assigned_at", "id").values_list("user_id", "role")
    ):
        label = IncidentRole(role).label
        if label not in roles.setdefault(user_id, []):
            roles[user_id].append(label)
    return roles


# --- pages ------------------------------------------------------------------------------------


def postmortem_detail(postmortem: PostMortem) -> dict:
    """Everything the detail, print and export views show, in a constant number of queries."""
    factors = list(ContributingFactor.objects.filter(postmortem=postmortem).order_by("id"))
    return {
        "whys": list(Why.objects.filter(postmortem=postmortem).order_by("position", "id")),
        "factors": factors,
        "fishbone": [
            (category, [f for f in factors if f.category == category]) for category in FishboneCategory
        ],
        "timeline": list(PostMortemTimelineEntry.objects.filter(postmortem=postmortem).order_by("at", "id")),
        "action_items": list(
            ActionItem.objects.filter(postmortem=postmortem).select_related("owner", "factor").order_by(
                "due_date", "id"
            )
        ),
        "events": list(
            PostMortemEvent.objects.filter(postmortem=postmortem).select_related("actor").order_by("at", "id")
        ),
        "attendees": list(postmortem.attendees.order_by("first_name", "last_name", "username")),
        "commander": incident_commander(postmortem.incident),
        "roles_by_user": incident_roles_by_user(postmortem.incident),
    }


def postmortem_people(postmortem: PostMortem) -> QuerySet:
    """Whom the edit form offers as owner, facilitator, attendee and action-item owner: active members of the
    incident's team, plus anyone the post-mortem already names (someone from another team stays selectable)."""
    team_members = TeamMembership.objects.filter(team_id=postmortem.incident.service.team_id).values("user_id")
    named = Q(pk__in=[pk for pk in (postmortem.owner_id, postmortem.facilitator_id) if pk])
    if postmortem.pk:
        named |= Q(pk__in=postmortem.attendees.values("pk"))
        named |= Q(pk__in=ActionItem.objects.filter(postmortem=postmortem).values("owner_id"))
    return get_user_model().objects.filter(Q(pk__in=team_members, is_active=True) | named).order_by(
        "first_name", "last_name", "username"
    )


def action_items_of(user, *, include_closed: bool = True) -> QuerySet[ActionItem]:
    """“My action items”: every item the user owns, with its post-mortem and incident."""
    qs = ActionItem.objects.filter(owner=user).select_related(
        "postmortem__incident__service__team", "service__team", "factor"
    )
    if not include_closed:
        qs = qs.filter(status__in=OPEN_ITEM_STATES)
    return qs.order_by("due_date", "id")


def action_items_overdue(*, today: dt.date | None = None) -> QuerySet[ActionItem]:
    """Open or in-progress items with an owner whose due date has passed."""
    today = today or timezone.localdate()
    return ActionItem.objects.filter(status__in=OPEN_ITEM_STATES, due_date__lt=today, owner__isnull=False)


def postmortems_review_overdue(*, now: dt.datetime | None = None) -> QuerySet[PostMortem]:
    """Drafts whose review due date has passed."""
    now = now or timezone.now()
    return PostMortem.objects.filter(state=S.DRAFT, review_due_at__lt=now)


# --- admin --------------------------------------------------------------------------------------


def postmortems_managed_by(user) -> QuerySet[PostMortem]:
    if user.is_superuser:
        return _base()
    return _base().filter(incident__service__team__in=teams_managed_by(user))


def action_items_managed_by(user) -> QuerySet[ActionItem]:
    qs = ActionItem.objects.select_related(
        "postmortem__incident__service__team", "service__team", "owner", "factor"
    )
    if user.is_superuser:
        return qs
    teams = teams_managed_by(user)
    return qs.filter(Q(postmortem__incident__service__team__in=teams) | Q(service__team__in=teams))
