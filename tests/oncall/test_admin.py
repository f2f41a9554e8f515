import pytest
from django.urls import reverse

from oncall.models import Team, TeamMembership, TeamRole
from tests.factories import UserFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def change_url(team):
    return reverse("admin:oncall_team_change", args=[team.pk])


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def inline_row(data, user) -> str:
    """The inline formset prefix of `user`'s membership row, e.g. "memberships-1"."""
    for name, value in data.items():
        if name.startswith("memberships-") and name.endswith("-user") and value == str(user.pk):
            return name.removesuffix("-user")
    raise AssertionError(f"{user} has no row")


def test_manager_lists_and_opens_only_the_teams_they_manage(manager_client, team, other_team):
    response = manager_client.get(reverse("admin:oncall_team_changelist"))

    assert list(response.context["cl"].result_list) == [team]
    assert manager_client.get(change_url(team)).status_code == 200
    assert manager_client.get(change_url(other_team)).url == reverse("admin:index")


def test_manager_adds_a_member_and_their_groups_follow(manager_client, team):
    newcomer = UserFactory(username="nina")
    data = form_data(manager_client.get(change_url(team)).content, "team_form")
    extra = f"memberships-{int(data['memberships-TOTAL_FORMS']) - 1}"
    data.update({f"{extra}-user": str(newcomer.pk), f"{extra}-role": TeamRole.LEAD})

    assert manager_client.post(change_url(team), data).status_code == 302

    assert TeamMembership.objects.get(team=team, user=newcomer).role == TeamRole.LEAD
    assert newcomer.groups.filter(pk=team.responders_group_id).exists()
    assert newcomer.groups.filter(name="Engineer").exists()


def test_manager_changes_a_role_and_removes_a_member(manager_client, team, engineer, engineer2):
    data = form_data(manager_client.get(change_url(team)).content, "team_form")
    data[f"{inline_row(data, engineer)}-role"] = TeamRole.STAKEHOLDER
    data[f"{inline_row(data, engineer2)}-DELETE"] = "on"

    assert manager_client.post(change_url(team), data).status_code == 302

    groups = set(engineer.groups.values_list("name", flat=True))
    assert groups == {team.viewers_group.name, "Viewer"}
    assert not TeamMembership.objects.filter(user=engineer2).exists()
    assert not engineer2.groups.exists()


def test_manager_cannot_edit_another_team(manager_client, other_team):
    data = {"name": "Taken over", "slug": other_team.slug}
    response = manager_client.post(change_url(other_team), data)

    assert response.status_code == 302
    other_team.refresh_from_db()
    assert other_team.name == "Search"


def test_only_superusers_add_or_delete_teams(manager_client, admin_client, team):
    assert manager_client.get(reverse("admin:oncall_team_add")).status_code == 403
    assert manager_client.post(reverse("admin:oncall_team_delete", args=[team.pk]), {"post": "yes"}).status_code == 403

    add_url = reverse("admin:oncall_team_add")
    data = form_data(admin_client.get(add_url).content, "team_form")
    data.update({"name": "Platform", "slug": "platform", "time_zone": "Asia/Tokyo"})
    assert admin_client.post(add_url, data).status_code == 302
    platform = Team.objects.get(slug="platform")
    assert platform.responders_group.name == "team:platform:responders"

    delete_url = reverse("admin:oncall_team_delete", args=[platform.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Team.objects.filter(slug="platform").exists()
