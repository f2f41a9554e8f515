"""The busiest pages run a number of queries that depends neither on how many rows a page shows nor on which
page it is, nor (for who is on call) on how many teams there are. Query counts only: timings belong to
bench/pages_latency.py, never to tests."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.admin import IncidentAdmin
from incidents.models import TimelineEntry, TimelineKind
from incidents.services import incident_acknowledge, incident_assign_role, incident_declare
from incidents.views import lists
from oncall.models import Blackout, Override, RotationKind, TeamRole
from tests.factories import IncidentFactory, ServiceFactory, TeamFactory
from tests.factories.api import api_client
from tests.factories.oncall import member, responder, rotation_with

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")
API_LIST = reverse("api:incident-list")
ADMIN_LIST = reverse("admin:incidents_incident_changelist")


@pytest.fixture
def world(team, service, other_service, engineer, engineer2, manager, outsider):
    """Payments' incidents (declared and acknowledged by different people, so a per-row query for a person
    would show), and one of Search's on which the engineer is an SME (seen through a personal grant)."""
    elsewhere = IncidentFactory(service=other_service, title="Search is slow")
    incident_assign_role(incident=elsewhere, role="sme", assignee=engineer, user=outsider)
    second = ServiceFactory(team=team, name="Ledger", slug="ledger")
    return {"services": [service, second], "people": [engineer, engineer2, manager], "count": 1}


def add_incidents(world, n: int) -> None:
    people = world["people"]
    for i in range(n):
        k = world["count"] + i
        incident, _ = incident_declare(
            service=world["services"][k % 2], title=f"Incident {k}", user=people[k % 3], severity=f"P{k % 4 + 1}",
            detected_at=timezone.now() - dt.timedelta(minutes=k),
        )
        if k % 2:
            incident_acknowledge(incident=incident, user=people[(k + 1) % 3])
    world["count"] += n


def count(client, url: str, params: dict | None = None) -> tuple[int, object]:
    client.get(url, params or {})  # warm: content types, the token's once-a-minute last-use stamp
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response


# --- the incident list page ------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"scope": "teams"}, {"scope": "mine"}, {"scope": "open"},
                                    {"scope": "teams", "state": "open", "team": "payments"}])
def test_list_page_costs_the_same_for_5_and_40_rows(client, world, engineer, params):
    client.force_login(engineer)
    add_incidents(world, 5)
    few, response = count(client, LIST, params)
    shown_few = len(response.context["page"].object_list)
    add_incidents(world, 35)
    many, response = count(client, LIST, params)

    assert shown_few < len(response.context["page"].object_list)
    assert many == few


@pytest.mark.parametrize("user", ["engineer", "superuser"])
def test_a_later_list_page_costs_what_the_first_costs(client, world, engineer, admin_user, monkeypatch, user):
    monkeypatch.setattr(lists, "PAGE_SIZE", 5)
    add_incidents(world, 20)
    client.force_login(engineer if user == "engineer" else admin_user)

    first, response = count(client, LIST, {"scope": "teams"})
    params = {"scope": "teams"}
    for number in (2, 3):
        params.update(cursor=response.context["page"].next_cursor, page=number)
        later, response = count(client, LIST, params)
        assert later == first
    assert response.context["page"].number == 3
    params.update(cursor=response.context["page"].previous_cursor, page=2)
    back, _ = count(client, LIST, params)
    assert back == first


# --- the incident list API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["engineer", "superuser"])
def test_api_list_costs_the_same_for_5_and_40_rows_and_on_a_later_page(world, engineer, admin_user, user):
    add_incidents(world, 45)
    client = api_client(engineer if user == "engineer" else admin_user)

    few, response = count(client, API_LIST, {"page_size": 5})
    many, _ = count(client, API_LIST, {"page_size": 40})
    cursor = response.json()["next"].split("cursor=")[1].split("&")[0]
    second, response = count(client, API_LIST, {"page_size": 5, "cursor": cursor})
    cursor = response.json()["next"].split("cursor=")[1].split("&")[0]
    third, _ = count(client, API_LIST, {"page_size": 5, "cursor": cursor})

    assert few == many == second == third


# --- the admin changelist ------------------------------------------------------------------------------------


@pytest.fixture
def admin_as(client, manager, admin_user):
    def login(user):
        client.force_login(manager if user == "manager" else admin_user)
        return client

    return login


@pytest.mark.parametrize("user", ["manager", "superuser"])
def test_changelist_costs_the_same_for_5_and_40_rows(world, admin_as, user):
    client = admin_as(user)
    add_incidents(world, 5)
    few, response = count(client, ADMIN_LIST)
    shown_few = len(response.context["cl"].result_list)
    add_incidents(world, 35)
    many, response = count(client, ADMIN_LIST)

    theirs = 1 if user == "superuser" else 0  # the Search incident
    assert (shown_few, len(response.context["cl"].result_list)) == (5 + theirs, 40 + theirs)
    assert many == few


@pytest.mark.parametrize("user", ["manager", "superuser"])
def test_a_later_changelist_page_costs_what_the_first_costs(world, admin_as, monkeypatch, user):
    monkeypatch.setattr(IncidentAdmin, "list_per_page", 5)
    add_incidents(world, 20)
    client = admin_as(user)

    first, response = count(client, ADMIN_LIST)
    third, response = count(client, ADMIN_LIST, {"p": 3})
    filtered, _ = count(client, ADMIN_LIST, {"p": 2, "state__exact": "detected"})

    assert len(response.context["cl"].result_list) == 5
    assert third == first == filtered


def test_a_managers_changelist_asks_whether_they_manage_a_team_once(world, admin_as):
    """The sidebar and app list ask every manager-scoped admin (integrations, heartbeats, maintenance windows,
    alerts) for its module, view, add, change and delete permission; the answer is read once per request."""
    client = admin_as("manager")
    add_incidents(world, 5)
    client.get(ADMIN_LIST)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(ADMIN_LIST)
    assert response.status_code == 200
    asked = [q["sql"] for q in captured if 'FROM "oncall_team"' in q["sql"] and "LIMIT 1" in q["sql"]]
    assert len(asked) == 1
    app_list = {m["object_name"] for app in response.context["available_apps"] for m in app["models"]}
    assert {"Integration", "HeartbeatMonitor", "MaintenanceWindow"} <= app_list


def test_the_changelist_filters_offer_the_services_and_teams_of_visible_incidents(world, admin_as, team, other_service):
    """Both filters come from one read of the services (the team filter from the services' teams), by name."""
    add_incidents(world, 2)
    response = admin_as("superuser").get(ADMIN_LIST)
    specs = {type(spec).__name__: spec for spec in response.context["cl"].filter_specs}
    services = [label for _, label in specs["VisibleServiceListFilter"].lookup_choices]
    teams = [label for _, label in specs["VisibleTeamListFilter"].lookup_choices]
    assert services == sorted(s.name for s in [*world["services"], other_service])
    assert teams == sorted([team.name, other_service.team.name])


# --- the incident page --------------------------------------------------------------------------------------


def test_incident_page_costs_the_same_for_a_short_and_a_long_timeline(client, engineer, service):
    incident, _ = incident_declare(service=service, title="Checkout down", user=engineer, severity="P1",
                                   dedup_key="checkout-5xx")
    client.force_login(engineer)
    url = reverse("incidents:detail", args=[incident.pk])
    short, _ = count(client, url)
    for n in range(30):
        TimelineEntry.objects.create(incident=incident, kind=TimelineKind.NOTE, actor=engineer, at=timezone.now(),
                                     note=f"note {n}")
        incident_declare(service=service, title=f"Alert {n}", dedup_key="checkout-5xx")  # a duplicate alert
    long, _ = count(client, url)

    assert long == short


# --- who is on call now ----------------------------------------------------------------------------------------


def test_who_is_on_call_costs_the_same_for_2_and_6_teams():
    now = timezone.now()
    user = get_user_model().objects.create_user("watcher")

    def add_team(i: int) -> None:
        team = TeamFactory(name=f"Team {i}", slug=f"team-{i}")
        member(team, TeamRole.STAKEHOLDER, username="watcher")
        people = [responder(team, username=f"t{i}-{n}") for n in range(3)]
        primary = rotation_with(team, people, kind=RotationKind.PRIMARY, name="Primary",
                                start_date=(now - dt.timedelta(weeks=8)).date())
        rotation_with(team, people[::-1], kind=RotationKind.SECONDARY, name="Secondary",
                      start_date=(now - dt.timedelta(weeks=8)).date())
        Override.objects.create(rotation=primary, user=people[2], start=now - dt.timedelta(hours=2),
                                end=now + dt.timedelta(hours=6))
        Blackout.objects.create(user=people[1], start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=2))

    for i in range(2):
        add_team(i)
    client = api_client(user)
    two, response = count(client, reverse("api:oncall"))
    assert len(response.json()) == 2
    for i in range(2, 6):
        add_team(i)
    six, response = count(client, reverse("api:oncall"))

    assert len(response.json()) == 6
    assert six == two


# --- what keeps them cheap at 100,000 incidents (bench/pages_latency.py measures the time) ----------------------


def test_lists_neither_deduplicate_nor_count_every_row(client, world, engineer, manager):
    """A DISTINCT makes PostgreSQL sort every matching incident before the first page; a full COUNT reads them
    all. The lists have neither: their filters cannot repeat a row, and counts stop at a limit."""
    add_incidents(world, 3)
    client.force_login(engineer)
    statements = []
    for url, params, who in [
        (LIST, {"scope": "mine", "state": "open"}, client),
        (API_LIST, {"state": ["detected", "acknowledged"], "severity": ["P1", "P2"], "team": "payments"},
         api_client(engineer)),
    ]:
        with CaptureQueriesContext(connection) as captured:
            assert who.get(url, params).status_code == 200
        statements += [q["sql"] for q in captured if '"incidents_incident"' in q["sql"]]
    client.force_login(manager)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ADMIN_LIST).status_code == 200
    statements += [q["sql"] for q in captured if '"incidents_incident"' in q["sql"]]

    assert statements
    assert not [sql for sql in statements if "DISTINCT" in sql]
    assert all("LIMIT" in sql for sql in statements if "COUNT(" in sql)
