"""The insights page (engineers: their teams) and the admin dashboard (managers: the teams they manage)."""

import re

import pytest
import time_machine

from oncall.models import TeamRole
from tests.factories import UserFactory, member
from tests.metrics.conftest import NOW

pytestmark = pytest.mark.django_db
MARCH = {"since": "2026-03-02", "until": "2026-03-30"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_page_needs_a_login(client):
    response = client.get("/incidents/insights/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_engineers_see_their_teams_metrics_only(client, world, engineer):
    client.force_login(engineer)

    response = client.get("/incidents/insights/", MARCH)

    assert response.status_code == 200
    data = response.context["data"]
    assert [team["slug"] for team in data["scope"]["teams"]] == ["payments"]
    assert data["response"]["overall"]["incidents"] == 6
    people = {p["username"]: p["pages"] for p in data["on_call"]["after_hours"]["people"]}
    assert people["otto"] == 1  # paged once about Payments' incident; his own team's page is not shown
    html = response.content.decode()
    assert "Search API" not in html
    assert 'href="/incidents/insights/" aria-current="page">Insights</a>' in html


def test_another_teams_filter_is_refused_on_the_page(client, world, engineer):
    client.force_login(engineer)

    response = client.get("/incidents/insights/", {**MARCH, "team": "search"})

    assert response.status_code == 200
    assert response.context["data"] is None
    assert "Select a valid choice" in response.content.decode()


def test_a_reversed_window_is_an_error_on_the_page(client, world, engineer):
    client.force_login(engineer)

    response = client.get("/incidents/insights/", {"since": "2026-03-30", "until": "2026-03-02"})

    assert response.context["data"] is None
    assert "The window must end after it starts" in response.content.decode()


def test_periods_count_back_from_now(client, world, engineer):
    client.force_login(engineer)

    scope = client.get("/incidents/insights/", {"period": "7"}).context["data"]["scope"]

    assert (scope["until"] - scope["since"]).days == 7 and scope["until"] == NOW


def test_someone_without_a_team_is_told_so(client, world):
    client.force_login(UserFactory(username="newbie"))

    response = client.get("/incidents/insights/")

    assert "not a member of a team" in response.content.decode()


def test_superusers_see_every_team(client, world):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    data = client.get("/incidents/insights/", MARCH).context["data"]

    assert [team["slug"] for team in data["scope"]["teams"]] == ["payments", "search"]
    assert data["response"]["overall"]["incidents"] == 7


def test_the_page_draws_the_charts_from_the_data(client, world, engineer):
    client.force_login(engineer)

    html = client.get("/incidents/insights/", MARCH).content.decode()

    for chart in ("mtta-trend", "mttr-trend", "alert-volume", "severity", "overdue", "after-hours"):
        assert f'data-chart="{chart}"' in html
    volume = html.split('data-chart="alert-volume"')[1].split("</figure>")[0]
    assert re.findall(r'data-series="events" data-label="[^"]+" data-value="(\d+)"', volume) == ["3", "2", "0", "1"]
    severity = html.split('data-chart="severity"')[1].split("</figure>")[0]
    assert re.findall(r'data-label="(P\d)" data-value="(\d+)"', severity) == [("P1", "2"), ("P2", "3"), ("P3", "1"),
                                                                              ("P4", "0")]


def test_the_dashboard_is_for_managers_of_their_teams(client, world, manager):
    """Mona manages Payments and is an engineer in Search: the dashboard shows Payments only."""
    client.force_login(manager)

    response = client.get("/admin/insights/", MARCH)

    assert response.status_code == 200
    data = response.context["data"]
    assert [team["slug"] for team in data["scope"]["teams"]] == ["payments"]
    assert 'data-chart="after-hours"' in response.content.decode()


def test_engineers_cannot_open_the_dashboard(client, world, engineer):
    client.force_login(engineer)

    response = client.get("/admin/insights/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_a_managed_team_see_nothing(client, world, other_team):
    lead = member(other_team, TeamRole.LEAD, username="lee", is_staff=True)
    client.force_login(lead)

    response = client.get("/admin/insights/")

    assert response.status_code == 200
    assert response.context["data"] is None
    assert "You do not manage a team" in response.content.decode()


def test_the_admin_index_links_to_the_dashboard(client, world, manager):
    client.force_login(manager)

    assert 'href="/admin/insights/"' in client.get("/admin/").content.decode()
