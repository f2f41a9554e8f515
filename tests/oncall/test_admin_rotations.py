"""Rotations in the admin: members go through the services (eligibility enforced, the error naming what
is missing), the guide's 4–12 size warning, the six-week preview and resolving a conflict from it."""

import pytest
from django.urls import reverse

from oncall.models import Override, OverrideSource, Rotation, RotationMember, TeamRole
from tests.factories.oncall import BlackoutFactory, responder
from tests.html_forms import form_data
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def mona_client(client, mona):
    client.force_login(mona)
    return client


def change_url(rotation):
    return reverse("admin:oncall_rotation_change", args=[rotation.pk])


def members(rotation) -> list[str]:
    return list(RotationMember.objects.filter(rotation=rotation).order_by("position")
                .values_list("user__username", flat=True))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def row_of(data, user) -> str:
    for name, value in data.items():
        if name.startswith("rotation_members-") and name.endswith("-user") and value == str(user.pk):
            return name.removesuffix("-user")
    raise AssertionError(f"{user} has no row")


def new_row(data) -> str:
    return f"rotation_members-{int(data['rotation_members-TOTAL_FORMS']) - 1}"


def test_adding_an_ineligible_member_names_what_is_missing(mona_client, team, primary, now):
    ian = responder(team, username="ian", first_name="Ian", last_name="Newcomer", eligible=False)
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    data[f"{new_row(data)}-user"] = str(ian.pk)

    response = mona_client.post(change_url(primary), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ian Newcomer cannot go on call" in page
    assert "has no onboarding date recorded" in page
    assert "has shadowed 0 of the 2 required on-call shifts" in page
    assert "has not completed incident-response training" in page
    assert "has no production access" in page
    assert members(primary) == ["pia", "paul", "petra", "pete"]


def test_one_missing_requirement_is_named_alone(mona_client, team, primary, now):
    from oncall.services import oncall_profile_set

    ida = responder(team, username="ida", first_name="Ida", last_name="Almost")
    oncall_profile_set(user=ida, training_completed=False)
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    data[f"{new_row(data)}-user"] = str(ida.pk)

    page = mona_client.post(change_url(primary), data).content.decode()

    assert "Ida Almost cannot go on call: has not completed incident-response training." in page
    assert "production access" not in page.split("Ida Almost cannot go on call")[1].split("</")[0]


def test_members_are_added_ordered_and_removed_through_the_services(mona_client, team, primary, people):
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    extra = new_row(data)
    data.update({f"{extra}-user": str(people["sara"].pk), f"{extra}-order": "1"})
    data[f"{row_of(data, people['petra'])}-DELETE"] = "on"

    response = mona_client.post(change_url(primary), data, follow=True)

    assert response.status_code == 200
    assert members(primary) == ["sara", "pia", "paul", "pete"]
    positions = list(RotationMember.objects.filter(rotation=primary).order_by("position")
                     .values_list("position", flat=True))
    assert positions == [0, 1, 2, 3]


def test_reordering_members_by_their_order_numbers(mona_client, primary, people):
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    data[f"{row_of(data, people['pete'])}-order"] = "1"
    data[f"{row_of(data, people['pia'])}-order"] = "4"

    assert mona_client.post(change_url(primary), data).status_code == 302
    assert members(primary) == ["pete", "paul", "petra", "pia"]


def test_a_new_rotation_is_created_with_its_members(mona_client, team, people, now):
    url = reverse("admin:oncall_rotation_add")
    data = form_data(mona_client.get(url).content, "rotation_form")
    data.update({"team": str(team.pk), "name": "Primary", "kind": "primary", "start_date": "2026-03-09"})
    for index, name in enumerate(["paul", "pia"]):
        data.update({f"rotation_members-{index}-user": str(people[name].pk)})
    data["rotation_members-TOTAL_FORMS"] = "2"

    response = mona_client.post(url, data, follow=True)

    rotation = Rotation.objects.get(team=team, kind="primary")
    assert members(rotation) == ["paul", "pia"]
    assert any("has 2 members; the guide asks for at least 4" in m for m in messages_of(response))


def test_a_second_primary_rotation_is_refused_on_the_form(mona_client, team, primary):
    url = reverse("admin:oncall_rotation_add")
    data = form_data(mona_client.get(url).content, "rotation_form")
    data.update({"team": str(team.pk), "name": "Another", "kind": "primary", "start_date": "2026-03-09"})

    response = mona_client.post(url, data)

    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_the_size_warning_shows_on_save_and_on_the_change_page(mona_client, primary, secondary, people):
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    data[f"{row_of(data, people['pete'])}-DELETE"] = "on"
    saved = mona_client.post(change_url(primary), data, follow=True)
    assert "Primary has 3 members; the guide asks for at least 4 (two weeks between shifts)." in messages_of(saved)

    page = mona_client.get(change_url(secondary))
    assert "Secondary has 2 members; the guide asks for at least 4 (two weeks between shifts)." in messages_of(page)

    big_team_members = [responder(primary.team, username=f"extra{i}") for i in range(9)]
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    total = int(data["rotation_members-TOTAL_FORMS"])
    for index, user in enumerate(big_team_members, start=total - 1):
        data[f"rotation_members-{index}-user"] = str(user.pk)
    data["rotation_members-TOTAL_FORMS"] = str(total - 1 + len(big_team_members))
    saved = mona_client.post(change_url(primary), data, follow=True)
    assert "Primary has 12 members" not in " ".join(messages_of(saved))
    assert len(members(primary)) == 12

    more = responder(primary.team, username="thirteenth")
    data = form_data(mona_client.get(change_url(primary)).content, "rotation_form")
    data[f"{new_row(data)}-user"] = str(more.pk)
    saved = mona_client.post(change_url(primary), data, follow=True)
    assert "Primary has 13 members; the guide advises at most 12." in messages_of(saved)


def test_the_change_page_previews_six_weeks_with_conflicts(mona_client, primary, people):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 12))

    page = mona_client.get(change_url(primary))

    rows = page.context["preview_rows"]
    assert [r.user.username for r in rows[:5]] == ["pia", "paul", "petra", "pete", "pia"]
    assert len(rows) == 7  # the current week plus six hand-offs ahead
    assert [r.user.username for r in rows if r.has_conflict] == ["paul"]
    html = page.content.decode()
    assert 'class="conflict"' in html and "⚠ Vacation Tue 2026-03-10 01:00 – Thu 2026-03-12 01:00" in html
    assert "Put Petra Payments on call for the conflict" in html


def test_resolving_a_conflict_from_the_preview_overrides_with_the_next_eligible_member(mona_client, primary, people):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 12))
    url = reverse("admin:oncall_rotation_resolve", args=[primary.pk])

    response = mona_client.post(url, {"shift_start": utc(2026, 3, 9, 8).isoformat()}, follow=True)

    override = Override.objects.get(rotation=primary)
    assert (override.user, override.start, override.end, override.source) == (
        people["petra"], utc(2026, 3, 10), utc(2026, 3, 12), OverrideSource.MANUAL
    )
    assert override.created_by == people["mona"]
    assert any("Petra Payments now covers Primary" in m for m in messages_of(response))
    again = mona_client.post(url, {"shift_start": utc(2026, 3, 9, 8).isoformat()}, follow=True)
    assert any("has no conflict" in m for m in messages_of(again))


def test_a_manager_of_another_team_cannot_resolve(client, other_team, primary, people):
    from tests.factories.oncall import member

    client.force_login(member(other_team, TeamRole.MANAGER, username="max"))
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 10), end=utc(2026, 3, 12))

    response = client.post(reverse("admin:oncall_rotation_resolve", args=[primary.pk]),
                           {"shift_start": utc(2026, 3, 9, 8).isoformat()})

    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert not Override.objects.exists()


def test_rotating_the_calendar_url(mona_client, primary):
    old = primary.calendar_token
    response = mona_client.post(reverse("admin:oncall_rotation_changelist"),
                                {"action": "rotate_calendar_urls", "_selected_action": [primary.pk]})
    assert response.status_code == 302
    primary.refresh_from_db()
    assert primary.calendar_token != old
