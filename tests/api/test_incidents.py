"""/api/v1/incidents/: lists filtered to what the user may see, declare, read, and edit exactly the editable fields."""

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentSource, TimelineEntry, TimelineKind
from incidents.services import incident_acknowledge, incident_resolve
from tests.factories import IncidentFactory, ServiceFactory
from tests.factories.api import api_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def mixed(service, other_service, engineer, team):
    """Payments incidents in several states and severities, a second Payments service, one Search incident."""
    now = timezone.now()
    payouts = ServiceFactory(team=team, name="Payouts", slug="payouts")
    old_p1 = IncidentFactory(service=service, severity="P1", detected_at=now - dt.timedelta(days=3))
    acked_p3 = IncidentFactory(service=service, severity="P3", detected_at=now - dt.timedelta(days=2))
    incident_acknowledge(incident=acked_p3, user=engineer)
    resolved_p4 = IncidentFactory(service=payouts, severity="P4", detected_at=now - dt.timedelta(days=1),
                                  dedup_key="disk-full")
    incident_resolve(incident=resolved_p4, user=engineer)
    theirs = IncidentFactory(service=other_service, severity="P1", detected_at=now)
    return {"old_p1": old_p1, "acked_p3": acked_p3, "resolved_p4": resolved_p4, "theirs": theirs, "now": now}


def test_the_list_shows_only_my_teams_incidents_newest_first(engineer, mixed):
    assert ids(api_client(engineer).get(URL)) == [
        mixed["resolved_p4"].pk, mixed["acked_p3"].pk, mixed["old_p1"].pk
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=acknowledged", ["acked_p3"]),
        ("state=detected&state=resolved", ["resolved_p4", "old_p1"]),
        ("open=true", ["acked_p3", "old_p1"]),
        ("open=false", ["resolved_p4"]),
        ("severity=P1&severity=P4", ["resolved_p4", "old_p1"]),
        ("service=payouts", ["resolved_p4"]),
        ("service=search-api", []),
        ("team=payments&severity=P3", ["acked_p3"]),
        ("dedup_key=disk-full", ["resolved_p4"]),
        ("ordering=detected_at", ["old_p1", "acked_p3", "resolved_p4"]),
        ("ordering=severity", ["old_p1", "acked_p3", "resolved_p4"]),
    ],
)
def test_list_filters(engineer, mixed, query, expected):
    assert ids(api_client(engineer).get(f"{URL}?{query}")) == [mixed[name].pk for name in expected]


def test_list_filters_by_detection_window(engineer, mixed):
    since = (mixed["now"] - dt.timedelta(days=2, hours=1)).isoformat()
    until = (mixed["now"] - dt.timedelta(hours=12)).isoformat()

    response = api_client(engineer).get(URL, {"detected_since": since, "detected_until": until})

    assert ids(response) == [mixed["resolved_p4"].pk, mixed["acked_p3"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=sleeping", "state"),
        ("severity=P9", "severity"),
        ("detected_since=yesterday", "detected_since"),
        ("detected_since=0001-01-01T00:00:00%2B14:00", "detected_since"),
        ("open=perhaps", "open"),
        ("ordering=title", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=99999999999999999999999", "page_size"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(engineer, mixed, query, field):
    response = api_client(engineer).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_another_teams_incident_is_404(engineer, mixed):
    response = api_client(engineer).get(f"{URL}{mixed['theirs'].pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such incident.", "errors": {}}


def test_the_detail_shows_roles_and_the_actions_open_to_me(engineer, stakeholder, incident):
    mine = api_client(engineer).get(f"{URL}{incident.pk}/").json()
    theirs = api_client(stakeholder).get(f"{URL}{incident.pk}/").json()

    assert mine["state"] == "detected"
    assert mine["team"] == "payments"
    assert {"action": "acknowledge", "ready": True} in mine["actions"]
    assert theirs["actions"] == []


def test_declaring_opens_an_incident_from_the_api(engineer, service):
    response = api_client(engineer).post(
        URL, {"service": "checkout-api", "title": "Card payments failing", "severity": "P2"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert incident.source == IncidentSource.API
    assert incident.declared_by == engineer
    assert body["declared_by"]["username"] == "erin"
    assert body["state"] == "detected"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.DECLARED).exists()


def test_declaring_with_an_open_dedup_key_answers_200_with_that_incident(engineer, service):
    client = api_client(engineer)
    body = {"service": "checkout-api", "title": "Disk full", "dedup_key": "disk:db1"}

    first = client.post(URL, body, format="json")
    second = client.post(URL, body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Incident.objects.count() == 1


def test_stakeholders_cannot_declare(stakeholder, service):
    response = api_client(stakeholder).post(URL, {"service": "checkout-api", "title": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "You may not declare incidents on this service."


def test_another_teams_service_does_not_exist_for_me(engineer, other_service):
    response = api_client(engineer).post(URL, {"service": "search-api", "title": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "service"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "checkout-api"}, "title"),
        ({"service": "checkout-api", "title": "   "}, "title"),
        ({"service": "checkout-api", "title": "x", "severity": "P0"}, "severity"),
        ({"service": "checkout-api", "title": "x" * 256}, "title"),
        ({"service": "checkout-api", "title": "x", "impact_started_at": "2999-01-01T00:00:00Z"}, "impact_started_at"),
        ({"service": "checkout-api", "title": "x", "detected_at": "2020-01-01T00:00:00Z"}, "detected_at"),
        ({"service": "checkout-api", "title": "x", "state": "closed"}, "state"),
        ({"service": 12345678901234567890, "title": "x"}, "service"),
        ({"service": ["checkout-api"], "title": {"a": 1}}, "service"),
    ],
)
def test_declare_input_errors_name_the_field(engineer, service, body, field):
    response = api_client(engineer).post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not Incident.objects.exists()


def test_editing_changes_the_editable_fields(engineer, incident):
    response = api_client(engineer).patch(
        f"{URL}{incident.pk}/", {"title": "Checkout 503s in eu-west", "war_room": "#inc-checkout"}, format="json"
    )

    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert (incident.title, incident.war_room) == ("Checkout 503s in eu-west", "#inc-checkout")
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.EDIT).exists()


def test_editing_severity_goes_through_the_severity_rules(engineer, incident):
    before = incident.ack_deadline

    response = api_client(engineer).patch(f"{URL}{incident.pk}/", {"severity": "P1"}, format="json")

    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.severity == "P1"
    assert incident.ack_deadline < before  # P1: 5 minutes instead of P2's 15
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.SEVERITY).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"state": "closed"},
        {"acknowledged_at": "2026-01-01T00:00:00Z"},
        {"title": "ok", "declared_by": 1},
        {"id": 999},
        {"source": "integration"},
    ],
)
def test_fields_that_are_not_editable_are_refused_and_nothing_changes(engineer, incident, body):
    response = api_client(engineer).patch(f"{URL}{incident.pk}/", body, format="json")

    assert response.status_code == 400
    refused = sorted(set(body) - {"title"})
    assert sorted(response.json()["errors"]) == refused
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.state, fresh.acknowledged_at, fresh.title) == ("detected", None, incident.title)


def test_a_failed_severity_change_rolls_back_the_rest_of_the_edit(engineer, incident):
    incident_resolve(incident=incident, user=engineer)

    response = api_client(engineer).patch(f"{URL}{incident.pk}/", {"title": "new", "severity": "P1"}, format="json")

    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.title == "Checkout returns 503"


def test_impact_cannot_start_after_detection(engineer, incident):
    later = (incident.detected_at + dt.timedelta(hours=1)).isoformat()

    response = api_client(engineer).patch(f"{URL}{incident.pk}/", {"impact_started_at": later}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "impact_started_at"


def test_stakeholders_cannot_edit(stakeholder, incident):
    response = api_client(stakeholder).patch(f"{URL}{incident.pk}/", {"title": "mine now"}, format="json")

    assert response.status_code == 403


def test_other_teams_cannot_edit_or_even_see(outsider, incident):
    assert api_client(outsider).patch(f"{URL}{incident.pk}/", {"title": "x"}, format="json").status_code == 404


def test_moving_to_another_of_my_teams_services(engineer, incident, team):
    ServiceFactory(team=team, name="Payouts", slug="payouts")

    response = api_client(engineer).patch(f"{URL}{incident.pk}/", {"service": "payouts"}, format="json")

    assert response.status_code == 200
    assert response.json()["service"] == "payouts"


def test_put_and_delete_are_not_offered(engineer, incident):
    client = api_client(engineer)

    assert client.put(f"{URL}{incident.pk}/", {"title": "x"}, format="json").status_code == 405
    assert client.delete(f"{URL}{incident.pk}/").status_code == 405


def test_list_filters_on_a_breached_acknowledgement_deadline(engineer, mixed):
    Incident.objects.filter(pk=mixed["old_p1"].pk).update(ack_breached_at=mixed["old_p1"].ack_deadline)
    client = api_client(engineer)

    assert ids(client.get(URL, {"breached": "true"})) == [mixed["old_p1"].pk]
    assert ids(client.get(URL, {"breached": "false"})) == [mixed["resolved_p4"].pk, mixed["acked_p3"].pk]
    assert client.get(URL, {"breached": "true"}).json()["results"][0]["ack_breached_at"] is not None
