from django.db.models import QuerySet

from oncall.models import RESPONDER_ROLES, Team, TeamMembership, TeamRole


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
