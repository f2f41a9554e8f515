from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from oncall import roles
from oncall.models import RESPONDER_ROLES, Team, TeamMembership, TeamRole

User = get_user_model()

_GLOBAL_ROLE_FOR = {
    TeamRole.MANAGER: roles.MANAGER,
    TeamRole.LEAD: roles.ENGINEER,
    TeamRole.ENGINEER: roles.ENGINEER,
    TeamRole.STAKEHOLDER: roles.VIEWER,
}


@transaction.atomic
def user_sync_groups(*, user) -> None:
    """Make a user's groups match their team memberships.

    Responders (manager, lead, engineer) join the team's responders group, stakeholders its
    viewers group; each membership also puts the user in the matching global role group.
    Managers get staff status so they can open the admin (it is never revoked automatically).
    Idempotent: called after every membership change, from the admin too.
    """
    memberships = list(TeamMembership.objects.filter(user=user).select_related("team"))
    team_groups = Group.objects.filter(responding_team__isnull=False) | Group.objects.filter(
        viewing_team__isnull=False
    )
    wanted = set()
    for membership in memberships:
        team = membership.team
        wanted.add(team.responders_group_id if membership.role in RESPONDER_ROLES else team.viewers_group_id)
        wanted.add(Group.objects.get_or_create(name=_GLOBAL_ROLE_FOR[membership.role])[0].pk)
    managed = set(team_groups.values_list("pk", flat=True)) | set(
        Group.objects.filter(name__in=roles.ROLE_GROUPS).values_list("pk", flat=True)
    )
    current = set(user.groups.values_list("pk", flat=True))
    user.groups.remove(*((current & managed) - wanted))
    user.groups.add(*(wanted - current))
    if any(m.role == TeamRole.MANAGER for m in memberships) and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@transaction.atomic
def team_member_set(*, team: Team, user, role: str) -> TeamMembership:
    """Add a user to a team, or change their role in it."""
    membership, _ = TeamMembership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return membership  # the post_save signal syncs the user's groups


@transaction.atomic
def team_member_remove(*, team: Team, user) -> None:
    for membership in TeamMembership.objects.filter(team=team, user=user):
        membership.delete()  # per row, so the post_delete signal syncs the user's groups
