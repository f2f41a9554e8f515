import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from oncall.models import (
    RESPONDER_ROLES,
    EscalationPolicy,
    EscalationTarget,
    HandoffNote,
    Rotation,
    RotationKind,
    RotationMember,
    SwapRequest,
    SwapState,
    Team,
    TeamMembership,
    TeamRole,
)
from oncall.schedule import on_call


def teams_of(user, *, roles: frozenset[str] | set[str] | None = None) -> QuerySet[Team]:
    """Teams the user belongs to (superusers: all teams), optionally limited to some roles."""
    if user.is_superuser:
        return Team.objects.all()
    memberships = TeamMembership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return Team.objects.filter(pk__in=memberships.values("team_id"))


def teams_responded_by(user) -> QuerySet[Team]:
    return teams_of(user, roles=RESPONDER_ROLES)


def teams_managed_by(user) -> QuerySet[Team]:
    return teams_of(user, roles={TeamRole.MANAGER})


def is_team_manager(user, team: Team) -> bool:
    return user.is_superuser or TeamMembership.objects.filter(
        user=user, team=team, role=TeamRole.MANAGER
    ).exists()


APPROVER_ROLES = frozenset({TeamRole.MANAGER, TeamRole.LEAD})
MIN_ROTATION_SIZE = 4  # the guide: 2 weeks between shifts
MAX_ROTATION_SIZE = 12  # the guide: beyond this people lose context


def is_team_approver(user, team: Team) -> bool:
    """Managers and leads of the team (and superusers) approve swaps and resolve schedule conflicts."""
    return user.is_superuser or TeamMembership.objects.filter(
        user=user, team=team, role__in=APPROVER_ROLES
    ).exists()


def rotation_size_warning(rotation: Rotation) -> str | None:
    """The guide's bounds on rotation size, as a warning for the admin; None when within them."""
    count = rotation.rotation_members.count()
    if count < MIN_ROTATION_SIZE:
        return (f"{rotation.name} has {count} member{'s' if count != 1 else ''}; the guide asks for at least "
                f"{MIN_ROTATION_SIZE} (two weeks between shifts).")
    if count > MAX_ROTATION_SIZE:
        return f"{rotation.name} has {count} members; the guide advises at most {MAX_ROTATION_SIZE}."
    return None


def rotations_visible_to(user) -> QuerySet[Rotation]:
    return (
        Rotation.objects.filter(team__in=teams_of(user))
        .select_related("team")
        .prefetch_related(Prefetch("rotation_members", RotationMember.objects.select_related("user")))
    )


def swap_requests_involving(user) -> QuerySet[SwapRequest]:
    """Swaps the user asked for, was offered, accepted, or may accept (open to their rotations)."""
    open_to_anyone = Q(state=SwapState.OPEN, offered_to__isnull=True, rotation__rotation_members__user=user)
    return (
        SwapRequest.objects.filter(
            Q(requester=user) | Q(offered_to=user) | Q(accepted_by=user) | open_to_anyone
        )
        .distinct()
        .select_related("rotation__team", "requester", "offered_to", "accepted_by", "decided_by")
    )


def swap_requests_awaiting_decision_by(user) -> QuerySet[SwapRequest]:
    """Accepted swaps in the teams the user manages or leads."""
    return (
        SwapRequest.objects.filter(state=SwapState.ACCEPTED, rotation__team__in=teams_of(user, roles=APPROVER_ROLES))
        .select_related("rotation__team", "requester", "offered_to", "accepted_by")
        .order_by("start")
    )


def handoff_note_last(rotation: Rotation) -> HandoffNote | None:
    """The note for the latest hand-off that has one: what the incoming on-call reads."""
    return (
        HandoffNote.objects.filter(rotation=rotation)
        .select_related("author")
        .order_by("-shift_start", "-created_at", "-id")
        .first()
    )


def escalation_policy_default(team: Team) -> EscalationPolicy | None:
    return EscalationPolicy.objects.filter(team=team, is_default=True).first()


def escalation_targets(level: dict, *, at: dt.datetime) -> list:
    """Who a snapshot level (see EscalationPolicy.snapshot) pages at `at`.

    Leadership means users whose on-call profile is flagged is_leadership; if nobody is, the team's
    managers, so a P1 never escalates to no one.
    """
    user_model = get_user_model()
    kind = level["target_kind"]
    if kind in (EscalationTarget.PRIMARY, EscalationTarget.SECONDARY):
        rotation = Rotation.objects.filter(pk=level.get("rotation_id")).select_related("team").first()
        if rotation is None:
            return []
        now = on_call(rotation, at)
        person = now.primary if rotation.kind == RotationKind.PRIMARY else now.secondary
        return [person] if person else []
    if kind == EscalationTarget.USER:
        return list(user_model.objects.filter(pk=level.get("user_id"), is_active=True))
    if kind == EscalationTarget.LEADERSHIP:
        leaders = list(user_model.objects.filter(oncall_profile__is_leadership=True, is_active=True))
        if leaders:
            return leaders
        role = TeamRole.MANAGER
    else:
        role = level.get("role")
    return list(
        user_model.objects.filter(memberships__team_id=level["team_id"], memberships__role=role, is_active=True)
        .order_by("username")
    )


def escalation_levels_for(snapshot: list[dict], severity: str) -> list[dict]:
    """The snapshot's levels that apply to an incident of `severity`."""
    return [level for level in snapshot if not level["only_severities"] or severity in level["only_severities"]]
