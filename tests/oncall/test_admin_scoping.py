"""The on-call admin for managers: each manager sees, opens and picks only their own teams' objects.

Mona manages Payments; Search (another team) has its own rotation, people, swap, policy and blackout.
"""

import pytest
from django.urls import reverse

from oncall.models import (
    Blackout,
    EscalationLevel,
    EscalationPolicy,
    Notification,
    Override,
    Rotation,
    RotationMember,
)
from oncall.services import swap_request_create
from tests.factories.oncall import BlackoutFactory, responder, rotation_with
from tests.html_forms import form_data
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db

PAUL_START, PAUL_END = utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)


@pytest.fixture
def search_people(other_team, now):
    return [
        responder(other_team, username=f"search{i}", first_name=f"Searcher{i}", last_name="Search") for i in range(4)
    ]


@pytest.fixture
def search_rotation(other_team, search_people):
    return rotation_with(other_team, search_people, name="Search primary")


@pytest.fixture
def search_swap(search_rotation, search_people):
    # The rotation started 2026-01-05 (New York); find the first searcher's next shift after "now".
    from oncall.schedule import published_shifts

    shift = next(s for s in published_shifts(search_rotation) if s.start > utc(2026, 3, 5))
    return swap_request_create(requester=shift.user, rotation=search_rotation, start=shift.start, end=shift.end)


@pytest.fixture
def world(primary, secondary, people, search_rotation, search_people, search_swap):
    """Both teams with a swap, a blackout and an override each, and notifications to both."""
    swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    BlackoutFactory(user=people["pete"])
    BlackoutFactory(user=search_people[1])
    Override.objects.create(rotation=primary, user=people["sara"], start=utc(2026, 3, 20), end=utc(2026, 3, 21))
    Override.objects.create(rotation=search_rotation, user=search_people[2], start=utc(2026, 3, 20),
                            end=utc(2026, 3, 21))
    return {"payments": primary.team, "search": search_rotation.team}


@pytest.fixture
def mona_client(client, mona):
    client.force_login(mona)
    return client


def changelist(client, model: str):
    response = client.get(reverse(f"admin:oncall_{model}_changelist"))
    assert response.status_code == 200, model
    return list(response.context["cl"].result_list)


TEAM_OF = {
    "rotation": lambda o: o.team,
    "rotationmember": None,
    "override": lambda o: o.rotation.team,
    "swaprequest": lambda o: o.rotation.team,
    "escalationpolicy": lambda o: o.team,
    "blackout": lambda o: {m.team for m in o.user.memberships.all()},
    "oncallprofile": lambda o: {m.team for m in o.user.memberships.all()},
    "notification": lambda o: {m.team for m in o.recipient.memberships.all()},
}


@pytest.mark.parametrize("model", [m for m, f in TEAM_OF.items() if f])
def test_a_manager_lists_only_their_teams_objects(mona_client, world, model):
    rows = changelist(mona_client, model)

    assert rows, f"no {model} of Payments listed"
    for row in rows:
        teams = TEAM_OF[model](row)
        teams = teams if isinstance(teams, set) else {teams}
        assert world["payments"] in teams and world["search"] not in teams, row


def test_superusers_list_every_team(admin_client, world):
    assert {r.team for r in changelist(admin_client, "rotation")} == {world["payments"], world["search"]}
    assert {s.rotation.team for s in changelist(admin_client, "swaprequest")} == set(world.values())
    assert {p.team for p in changelist(admin_client, "escalationpolicy")} == set(world.values())


@pytest.mark.parametrize("model", ["rotation", "swaprequest", "escalationpolicy", "override", "blackout"])
def test_another_teams_object_does_not_open(mona_client, world, model, search_rotation, search_swap, search_people):
    obj = {
        "rotation": search_rotation,
        "swaprequest": search_swap,
        "escalationpolicy": EscalationPolicy.objects.get(team=world["search"]),
        "override": Override.objects.get(rotation=search_rotation),
        "blackout": Blackout.objects.get(user=search_people[1]),
    }[model]

    response = mona_client.get(reverse(f"admin:oncall_{model}_change", args=[obj.pk]))

    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_engineers_do_not_get_into_the_admin(client, people, primary):
    client.force_login(people["paul"])
    response = client.get(reverse("admin:oncall_rotation_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


# --- foreign-key choices ------------------------------------------------------------------------


def test_an_override_cannot_name_another_teams_rotation_or_person(mona_client, world, primary, secondary,
                                                                  search_rotation, search_people):
    url = reverse("admin:oncall_override_add")
    fields = mona_client.get(url).context["adminform"].form.fields
    assert list(fields["rotation"].queryset) == [primary, secondary]
    assert search_people[0] not in fields["user"].queryset
    before = Override.objects.count()

    response = mona_client.post(url, {"rotation": search_rotation.pk, "user": search_people[0].pk,
                                      "start": "2026-03-25 10:00:00", "end": "2026-03-26 10:00:00"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Select a valid choice" in str(errors["rotation"]) and "Select a valid choice" in str(errors["user"])
    assert Override.objects.count() == before


def test_a_rotation_cannot_be_created_for_another_team(mona_client, world):
    url = reverse("admin:oncall_rotation_add")
    data = form_data(mona_client.get(url).content, "rotation_form")
    data.update({"team": str(world["search"].pk), "name": "Stolen", "kind": "secondary", "start_date": "2026-03-09"})

    response = mona_client.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["team"])
    assert not Rotation.objects.filter(name="Stolen").exists()


def test_a_member_row_cannot_name_someone_outside_the_team(mona_client, primary, search_people):
    url = reverse("admin:oncall_rotation_change", args=[primary.pk])
    data = form_data(mona_client.get(url).content, "rotation_form")
    row = f"rotation_members-{int(data['rotation_members-TOTAL_FORMS']) - 1}"
    data[f"{row}-user"] = str(search_people[0].pk)

    response = mona_client.post(url, data)

    assert response.status_code == 200
    assert not RotationMember.objects.filter(user=search_people[0], rotation=primary).exists()
    assert "Select a valid choice" in response.content.decode()


def test_a_policy_level_cannot_page_another_teams_rotation(mona_client, world, search_rotation):
    policy = EscalationPolicy.objects.get(team=world["payments"])
    url = reverse("admin:oncall_escalationpolicy_change", args=[policy.pk])
    data = form_data(mona_client.get(url).content, "escalationpolicy_form")
    row = f"levels-{int(data['levels-TOTAL_FORMS']) - 1}"
    data.update({f"{row}-position": "6", f"{row}-delay": "01:30:00", f"{row}-target_kind": "primary",
                 f"{row}-target_rotation": str(search_rotation.pk), f"{row}-only_severities": "[]"})

    response = mona_client.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not EscalationLevel.objects.filter(target_rotation=search_rotation).exists()


def test_a_service_offers_only_its_teams_escalation_policies(mona_client, service, world):
    from incidents.models import Service

    url = reverse("admin:incidents_service_change", args=[service.pk])
    page = mona_client.get(url)
    choices = list(page.context["adminform"].form.fields["escalation_policy"].queryset)
    assert choices == [EscalationPolicy.objects.get(team=world["payments"])]

    custom = EscalationPolicy.objects.create(team=world["payments"], name="Business hours")
    data = form_data(mona_client.get(url).content, "service_form")
    data["escalation_policy"] = str(custom.pk)
    assert mona_client.post(url, data).status_code == 302
    assert Service.objects.get(pk=service.pk).escalation_policy == custom

    data["escalation_policy"] = str(EscalationPolicy.objects.get(team=world["search"]).pk)
    response = mona_client.post(url, data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_notifications_are_read_only_and_filter_by_status(mona_client, world, people):
    assert Notification.objects.filter(recipient=people["paul"]).exists()
    response = mona_client.get(reverse("admin:oncall_notification_changelist") + "?status__exact=pending")
    assert response.status_code == 200
    assert all(n.status == "pending" for n in response.context["cl"].result_list)
    assert mona_client.get(reverse("admin:oncall_notification_add")).status_code == 403


def test_role_groups_get_the_oncall_model_permissions(people, team):
    from django.contrib.auth.models import Group

    def codenames(group):
        return set(Group.objects.get(name=group).permissions.filter(content_type__app_label="oncall")
                   .values_list("codename", flat=True))

    manager, engineer, viewer = codenames("Manager"), codenames("Engineer"), codenames("Viewer")
    assert {"add_rotation", "delete_rotationmember", "add_override", "change_escalationlevel",
            "change_oncallprofile", "change_swaprequest", "view_notification"} <= manager
    assert "add_swaprequest" not in manager and "change_notification" not in manager
    assert {"view_rotation", "add_blackout", "view_blackout", "add_swaprequest", "view_swaprequest",
            "view_escalationpolicy"} <= engineer
    assert "change_rotation" not in engineer and "add_override" not in engineer
    assert "view_rotation" in viewer and "view_swaprequest" not in viewer
    assert people["mona"].has_perm("oncall.add_rotation") and not people["paul"].has_perm("oncall.add_rotation")
