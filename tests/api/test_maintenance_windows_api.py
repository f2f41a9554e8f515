"""/api/v1/maintenance-windows/: the team's responders plan windows, viewers read them, other teams get 404;
bad input is a 400 naming the field; incidents and services show the paging fields."""

import datetime as dt

import pytest

from incidents.models import MaintenanceWindow
from tests.factories import IncidentFactory
from tests.factories.api import api_client
from tests.factories.maintenance import MaintenanceWindowFactory
from tests.oncall.conftest import NOW

pytestmark = pytest.mark.django_db
WINDOWS = "/api/v1/maintenance-windows/"
H = dt.timedelta(hours=1)


def body(**fields):
    data = {"service": "checkout-api", "reason": "Database upgrade", "starts_at": "2026-03-05T01:00:00Z",
            "ends_at": "2026-03-05T03:00:00Z"}
    data.update(fields)
    return data


def test_an_engineer_plans_a_window_for_a_service(engineer, service, now):
    response = api_client(engineer).post(WINDOWS, body(), format="json")

    assert response.status_code == 201, response.content
    window = response.json()
    assert (window["team"], window["service"], window["recurrence"], window["in_progress"]) == (
        "payments", "checkout-api", "once", False
    )
    assert window["created_by"]["username"] == "erin"
    assert window["next_occurrences"] == [{"starts_at": "2026-03-05T01:00:00Z", "ends_at": "2026-03-05T03:00:00Z"}]


def test_a_weekly_window_for_all_of_a_teams_services(manager, team, service, now):
    response = api_client(manager).post(WINDOWS, {
        "team": "payments", "reason": "Patching", "recurrence": "weekly", "time_zone": "Europe/Berlin",
        "starts_at": "2026-03-24T02:00:00+01:00", "ends_at": "2026-03-24T04:00:00+01:00",
    }, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["service"] is None
    assert [o["starts_at"] for o in response.json()["next_occurrences"]] == [
        "2026-03-24T01:00:00Z", "2026-03-31T00:00:00Z", "2026-04-07T00:00:00Z",
    ]


def test_end_before_start_is_a_400_naming_the_field(engineer, service, now):
    response = api_client(engineer).post(WINDOWS, body(ends_at="2026-03-05T00:00:00Z"), format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "ends_at" and "end after it starts" in response.json()["detail"]
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"recurrence": "monthly"}, "recurrence"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"service": "no-such-service"}, "service"),
    ({"colour": "red"}, "colour"),
    ({"ends_at": "2026-03-01T00:00:00Z", "starts_at": "2026-02-28T00:00:00Z"}, "ends_at"),  # already over
    ({"recurrence": "weekly", "ends_at": "2026-03-13T01:00:00Z"}, "ends_at"),  # a week or longer
])
def test_bad_input_is_a_400(engineer, service, now, fields, field):
    response = api_client(engineer).post(WINDOWS, body(**fields), format="json")

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


def test_another_teams_service_or_team_is_refused(engineer, service, other_service, now):
    assert api_client(engineer).post(WINDOWS, body(service="search-api"), format="json").status_code == 400
    response = api_client(engineer).post(WINDOWS, body(service=None, team="search"), format="json")
    assert response.status_code == 400 and response.json()["field"] == "team"


def test_other_teams_windows_are_404_and_not_listed(engineer, outsider, service, other_service, now):
    mine = MaintenanceWindowFactory(team=service.team, service=service)
    theirs = MaintenanceWindowFactory(team=other_service.team)
    client = api_client(engineer)

    assert [w["id"] for w in client.get(WINDOWS).json()["results"]] == [mine.pk]
    assert client.get(f"{WINDOWS}{theirs.pk}/").status_code == 404
    assert client.patch(f"{WINDOWS}{theirs.pk}/", {"reason": "x"}, format="json").status_code == 404
    assert client.delete(f"{WINDOWS}{theirs.pk}/").status_code == 404
    assert MaintenanceWindow.objects.filter(pk=theirs.pk).exists()


def test_stakeholders_read_but_cannot_plan(stakeholder, service, now):
    window = MaintenanceWindowFactory(team=service.team, service=service)
    client = api_client(stakeholder)

    assert client.get(f"{WINDOWS}{window.pk}/").status_code == 200
    assert client.post(WINDOWS, body(), format="json").status_code == 403
    assert client.patch(f"{WINDOWS}{window.pk}/", {"reason": "x"}, format="json").status_code == 403
    assert client.delete(f"{WINDOWS}{window.pk}/").status_code == 403


def test_change_and_delete(engineer, service, now):
    window = MaintenanceWindowFactory(team=service.team, service=service)
    client = api_client(engineer)

    response = client.patch(f"{WINDOWS}{window.pk}/", {"reason": "Kernel update", "ends_at": "2026-03-04T16:00:00Z"},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["reason"] == "Kernel update" and response.json()["ends_at"] == "2026-03-04T16:00:00Z"
    bad = client.patch(f"{WINDOWS}{window.pk}/", {"ends_at": "2026-03-04T12:00:00Z"}, format="json")
    assert bad.status_code == 400
    assert client.delete(f"{WINDOWS}{window.pk}/").status_code == 204
    assert not MaintenanceWindow.objects.exists()


def test_filters_by_service_include_team_wide_windows(engineer, service, now):
    team_wide = MaintenanceWindowFactory(team=service.team)
    own = MaintenanceWindowFactory(team=service.team, service=service)
    ids = [w["id"] for w in api_client(engineer).get(WINDOWS, {"service": "checkout-api"}).json()["results"]]
    assert sorted(ids) == sorted([team_wide.pk, own.pk])


def test_incidents_show_maintenance_and_deferral(engineer, service, now):
    window = MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW - H, ends_at=NOW + H)
    incident = IncidentFactory(service=service, severity="P1")
    data = api_client(engineer).get(f"/api/v1/incidents/{incident.pk}/").json()

    assert data["in_maintenance"] is True
    assert data["paging_held_until"] == "2026-03-04T13:00:00Z" and data["maintenance_window"] == window.pk
    assert data["paging_deferred_until"] is None


def test_managers_set_a_services_paging_hours(manager, service):
    response = api_client(manager).patch("/api/v1/services/checkout-api/", {"paging_hours": "always"}, format="json")
    assert response.status_code == 200 and response.json()["paging_hours"] == "always"
    bad = api_client(manager).patch("/api/v1/services/checkout-api/", {"paging_hours": "never"}, format="json")
    assert bad.status_code == 400


@pytest.mark.parametrize("param", ["team", "service"])
def test_a_nul_byte_in_a_list_filter_is_a_400_not_a_500(engineer, service, now, param):
    response = api_client(engineer).get(WINDOWS, {param: "pay\x00ments"})
    assert response.status_code == 400 and response.json()["field"] == param
