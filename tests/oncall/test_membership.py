import pytest

from oncall.models import TeamRole
from oncall.services import team_member_remove, team_member_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_membership_puts_user_in_team_and_role_groups(team):
    user = UserFactory()
    team_member_set(team=team, user=user, role=TeamRole.ENGINEER)
    assert group_names(user) == {"team:payments:responders", "Engineer"}


def test_manager_becomes_staff_and_stakeholder_only_views(team):
    boss, watcher = UserFactory(), UserFactory()
    team_member_set(team=team, user=boss, role=TeamRole.MANAGER)
    team_member_set(team=team, user=watcher, role=TeamRole.STAKEHOLDER)
    boss.refresh_from_db()
    assert boss.is_staff and group_names(boss) == {"team:payments:responders", "Manager"}
    assert group_names(watcher) == {"team:payments:viewers", "Viewer"}


def test_leaving_the_team_removes_its_groups_but_keeps_others(team, other_team):
    user = UserFactory()
    team_member_set(team=team, user=user, role=TeamRole.ENGINEER)
    team_member_set(team=other_team, user=user, role=TeamRole.STAKEHOLDER)
    team_member_remove(team=team, user=user)
    assert group_names(user) == {"team:search:viewers", "Viewer"}
