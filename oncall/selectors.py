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


def api_tokens_of(user) -> QuerySet:
    """The user's own API tokens, newest first, revoked ones included (for the record)."""
    from oncall.models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


# --- the API's reads (oncall.api): everything scoped to the teams the user belongs to ------------------------


def teams_visible_to(user) -> QuerySet[Team]:
    """The user's teams (superusers: all) with their members, for listing."""
    memberships = TeamMembership.objects.select_related("user").order_by("role", "user__username")
    return teams_of(user).prefetch_related(Prefetch("memberships", queryset=memberships))


def overrides_visible_to(user) -> QuerySet:
    from oncall.models import Override

    return Override.objects.filter(rotation__team__in=teams_of(user)).select_related(
        "rotation__team", "user", "created_by"
    )


def swap_requests_visible_to(user) -> QuerySet[SwapRequest]:
    """Swaps in the rotations of the user's teams: the schedule they can already see."""
    return SwapRequest.objects.filter(rotation__team__in=teams_of(user)).select_related(
        "rotation__team", "requester", "offered_to", "accepted_by", "decided_by"
    )


def escalation_policies_visible_to(user) -> QuerySet[EscalationPolicy]:
    from oncall.models import EscalationLevel

    levels = EscalationLevel.objects.select_related("target_rotation__team", "target_user", "policy").order_by(
        "position"
    )
    return (
        EscalationPolicy.objects.filter(team__in=teams_of(user))
        .select_related("team")
        .prefetch_related(Prefetch("levels", queryset=levels))
    )


def on_call_for_teams(teams, at: dt.datetime) -> list:
    """[(team, OnCall)] for each of `teams`: the answer schedule.on_call(team, at) gives, in a constant number
    of queries however many teams there are. Rotations, members, overrides (widened as schedule.shifts
    widens them) and blackouts are loaded for all teams at once and handed to schedule.build_shifts."""
    from collections import defaultdict

    from oncall.models import Blackout, Override
    from oncall.schedule import _MAX_HULL_ROUNDS, OnCall, _hull, build_shifts, cadence_for

    teams = list(teams)
    members_in_order = RotationMember.objects.select_related("user").order_by("position")
    rotations = list(
        Rotation.objects.filter(team__in=teams)
        .select_related("team")
        .prefetch_related(Prefetch("rotation_members", queryset=members_in_order))
    )
    end = at + dt.timedelta(microseconds=1)
    plans = {}
    for rotation in rotations:
        cadence = cadence_for(rotation)
        members = [m.user for m in rotation.rotation_members.all()]
        plans[rotation.pk] = [rotation, cadence, members, *_hull(cadence, bool(members), at, end)]
    overrides: dict[int, list] = defaultdict(list)
    for _ in range(_MAX_HULL_ROUNDS if plans else 0):
        # One plain range over every rotation's window, each rotation's own window applied here: an OR of a
        # window per rotation costs more to build and plan than the few extra rows it would spare.
        lo = min(p[3] for p in plans.values())
        hi = max(p[4] for p in plans.values())
        overrides = defaultdict(list)
        in_range = Override.objects.filter(rotation_id__in=list(plans), start__lt=hi, end__gt=lo)
        for override in in_range.select_related("user"):
            _, _, _, rotation_lo, rotation_hi = plans[override.rotation_id]
            if override.start < rotation_hi and override.end > rotation_lo:
                overrides[override.rotation_id].append(override)
        changed = False
        for pk, plan in plans.items():
            _, cadence, members, lo, hi = plan
            found = overrides[pk]
            widened = _hull(
                cadence, bool(members), min([lo, *(o.start for o in found)]), max([hi, *(o.end for o in found)])
            )
            if widened != (lo, hi):
                plan[3], plan[4] = widened
                changed = True
        if not changed:
            break
    users = {u.pk for p in plans.values() for u in p[2]} | {o.user_id for found in overrides.values() for o in found}
    blackouts = []
    if plans and users:
        lo = min(p[3] for p in plans.values())
        hi = max(p[4] for p in plans.values())
        blackouts = list(Blackout.objects.filter(user_id__in=users, start__lt=hi, end__gt=lo).select_related("user"))
    slots: dict[int, dict] = defaultdict(dict)
    for pk, (rotation, cadence, members, lo, hi) in plans.items():
        found = build_shifts(
            cadence=cadence, members=members, overrides=overrides[pk],
            blackouts=[b for b in blackouts if b.start < hi and b.end > lo], start=at, end=end, rotation_id=pk,
        )
        slots[rotation.team_id][rotation.kind] = found[0] if found else None
    result = []
    for team in teams:
        primary = slots[team.pk].get(RotationKind.PRIMARY)
        secondary = slots[team.pk].get(RotationKind.SECONDARY)
        result.append((team, OnCall(
            at=at, primary=primary.user if primary else None, secondary=secondary.user if secondary else None,
            primary_shift=primary, secondary_shift=secondary,
        )))
    return result
