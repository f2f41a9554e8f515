"""Urgency hours and maintenance windows on the pages: the incident page's banner, the public status page's
planned maintenance, and the admin (windows, services, severity policies)."""

import datetime as dt

import pytest
from django.urls import reverse

from incidents.models import MaintenanceWindow, Recurrence, SeverityPolicy
from tests.factories import IncidentFactory
from tests.factories.maintenance import MaintenanceWindowFactory
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures: the frozen clock)
from tests.incidents.paging_fixtures import NOW, utc

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
STATUS = reverse("status:index")


def detail(client, user, incident):
    client.force_login(user)
    return client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def test_a_deferred_incident_says_when_paging_starts_in_team_time(client, engineer, service, now):
    now.move_to(utc(2026, 3, 6, 20, 0))  # Friday 21:00 in Berlin
    incident = IncidentFactory(service=service, severity="P3")
    page = detail(client, engineer, incident)
    assert "Paging deferred until Mon 09:00 (team time)." in page
    assert "Paging deferred until Mon 09:00 (team time): P3 incidents outside Payments" in page  # the timeline


def test_an_incident_in_maintenance_says_so(client, engineer, service, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW - H, ends_at=NOW + H,
                             reason="Database upgrade")
    incident = IncidentFactory(service=service, severity="P1")
    page = detail(client, engineer, incident)
    assert "In maintenance</span>" in page
    assert "nobody is paged until Wed 14:00 (team time) (Database upgrade)" in page


def test_the_status_page_lists_planned_maintenance_and_services_under_it(client, service, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW - H, ends_at=NOW + H)
    MaintenanceWindowFactory(team=service.team, starts_at=NOW + 24 * H, ends_at=NOW + 26 * H, reason="Secret")
    response = client.get(STATUS)
    page = response.content.decode()
    assert "Planned maintenance" in page and "Under maintenance" in page
    assert [(row["services"], row["in_progress"]) for row in response.context["planned_maintenance"]] == [
        (["Checkout API"], True), (["Checkout API"], False),
    ]
    assert "Secret" not in page  # reasons are internal


def test_an_incident_outranks_maintenance_on_the_status_page(client, service, now):
    MaintenanceWindowFactory(team=service.team, starts_at=NOW - H, ends_at=NOW + H)
    IncidentFactory(service=service, severity="P1")
    row = next(r for r in client.get(STATUS).context["rows"] if r["service"] == service)
    assert row["status"] == "outage"


# --- admin ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_the_admin_pages_load(manager_client, service, now):
    window = MaintenanceWindowFactory(team=service.team, service=service, recurrence=Recurrence.WEEKLY)
    for url in (
        reverse("admin:incidents_maintenancewindow_changelist"),
        reverse("admin:incidents_maintenancewindow_add"),
        reverse("admin:incidents_maintenancewindow_change", args=[window.pk]),
        reverse("admin:incidents_service_change", args=[service.pk]),
        reverse("admin:incidents_severitypolicy_change", args=[SeverityPolicy.objects.get(severity="P3").pk]),
    ):
        response = manager_client.get(url)
        assert response.status_code == 200, url
    service_page = manager_client.get(reverse("admin:incidents_service_change", args=[service.pk])).content.decode()
    assert "Database upgrade" in service_page and "Plan a window" in service_page


def test_a_manager_plans_a_window_in_the_admin(manager_client, team, service, now):
    response = manager_client.post(reverse("admin:incidents_maintenancewindow_add"), {
        "team": team.pk, "service": service.pk, "reason": "Failover drill", "recurrence": "once",
        "starts_at_0": "2026-03-05", "starts_at_1": "02:00:00", "ends_at_0": "2026-03-05", "ends_at_1": "03:00:00",
        "time_zone": "", "repeat_until": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    window = MaintenanceWindow.objects.get()
    assert window.created_by.username == "mona" and window.next_start_at == window.starts_at


def test_the_admin_refuses_a_window_that_ends_before_it_starts(manager_client, team, service, now):
    response = manager_client.post(reverse("admin:incidents_maintenancewindow_add"), {
        "team": team.pk, "service": "", "reason": "Backwards", "recurrence": "once",
        "starts_at_0": "2026-03-05", "starts_at_1": "03:00:00", "ends_at_0": "2026-03-05", "ends_at_1": "02:00:00",
        "time_zone": "", "repeat_until": "",
    })
    assert response.status_code == 200
    assert "The window must end after it starts." in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_managers_see_only_their_teams_windows_in_the_admin(manager_client, service, other_service, now):
    mine = MaintenanceWindowFactory(team=service.team, reason="Ours")
    theirs = MaintenanceWindowFactory(team=other_service.team, reason="Theirs")
    page = manager_client.get(reverse("admin:incidents_maintenancewindow_changelist")).content.decode()
    assert "Ours" in page and "Theirs" not in page
    response = manager_client.get(reverse("admin:incidents_maintenancewindow_change", args=[theirs.pk]))
    assert response.status_code in (302, 404)
    assert mine.pk != theirs.pk


def test_deleting_a_window_in_the_admin_goes_through_the_service(manager_client, service, now):
    window = MaintenanceWindowFactory(team=service.team, starts_at=NOW - H, ends_at=NOW + H)
    incident = IncidentFactory(service=service, severity="P1")
    assert incident.paging_held_until is not None
    response = manager_client.post(reverse("admin:incidents_maintenancewindow_delete", args=[window.pk]),
                                   {"post": "yes"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.paging_held_until is None and incident.next_escalation_at == NOW


def test_severity_policy_and_service_paging_hours_are_editable(manager_client, service):
    page = manager_client.get(
        reverse("admin:incidents_severitypolicy_change", args=[SeverityPolicy.objects.get(severity="P3").pk])
    ).content.decode()
    assert 'name="page_outside_working_hours"' in page
    page = manager_client.get(reverse("admin:incidents_service_change", args=[service.pk])).content.decode()
    assert 'name="paging_hours"' in page


def test_a_manager_changes_a_window_in_the_admin(manager_client, team, service, now):
    # The change page posts what it offers; the team is shown, not offered (a window stays with its team).
    from tests.html_forms import form_data

    window = MaintenanceWindowFactory(team=team, service=service, starts_at=NOW + H, ends_at=NOW + 2 * H)
    url = reverse("admin:incidents_maintenancewindow_change", args=[window.pk])
    data = form_data(manager_client.get(url).content, "maintenancewindow_form")
    assert "team" not in data
    data.update(reason="Failover drill", ends_at_1="16:00:00")  # NOW + 2 h is 14:00 UTC, on the 04th
    response = manager_client.post(url, data)
    assert response.status_code == 302
    window.refresh_from_db()
    assert window.reason == "Failover drill" and window.ends_at == utc(2026, 3, 4, 16, 0)


@pytest.mark.parametrize("field, day", [("starts_at_0", "9999-12-30"), ("repeat_until", "9999-12-31")])
def test_the_admin_refuses_windows_out_of_the_supported_years(manager_client, team, service, now, field, day):
    # A weekly window in the year 9999 overflowed computing its next occurrences: the changelist, the service's
    # admin page and the API then answered 500 for as long as it existed.
    data = {
        "team": team.pk, "service": service.pk, "reason": "Far away", "recurrence": "weekly",
        "starts_at_0": "2026-03-05", "starts_at_1": "02:00:00", "ends_at_0": "2026-03-05", "ends_at_1": "03:00:00",
        "time_zone": "", "repeat_until": "",
    }
    data[field] = day
    if field == "starts_at_0":
        data["ends_at_0"] = day
    response = manager_client.post(reverse("admin:incidents_maintenancewindow_add"), data)
    assert response.status_code == 200
    assert "Give a date between the years 1970 and 2999." in response.content.decode()
    assert not MaintenanceWindow.objects.exists()
    assert manager_client.get(reverse("admin:incidents_maintenancewindow_changelist")).status_code == 200
