"""One POST per lifecycle action: 200 with the incident, 409 when the state forbids it (or someone else won),
400 for an unmet guard, 403 for people who may only look, 404 for other teams."""

import threading

import pytest
from django.db import connection

from incidents.models import Incident, TimelineEntry, TimelineKind
from incidents.services import incident_assign_role, incident_resolve
from tests.factories import IncidentFactory
from tests.factories.api import api_client, api_token

URL = "/api/v1/incidents/{pk}/{action}/"


def post(client, incident, action, body=None):
    return client.post(URL.format(pk=incident.pk, action=action), body or {}, format="json")


@pytest.mark.django_db
def test_the_whole_lifecycle_through_the_api(engineer, manager, service):
    incident = IncidentFactory(service=service, severity="P3")
    client = api_client(engineer)

    for action, state in [
        ("acknowledge", "acknowledged"), ("investigate", "investigating"), ("identify", "identified"),
        ("mitigate", "resolving"), ("resolve", "resolved"), ("reopen", "investigating"), ("resolve", "resolved"),
    ]:
        response = post(client, incident, action, {"note": f"{action} via API"})
        assert response.status_code == 200, (action, response.content)
        assert response.json()["state"] == state

    response = post(api_client(manager), incident, "close", {"resolution_summary": "Rolled back deploy 42."})
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert response.json()["resolution_summary"] == "Rolled back deploy 42."
    transitions = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION)
    assert "acknowledge via API" in transitions.values_list("note", flat=True)


@pytest.mark.django_db
def test_acknowledging_twice_is_a_conflict_naming_who_won(engineer, engineer2, incident):
    assert post(api_client(engineer), incident, "acknowledge").status_code == 200

    response = post(api_client(engineer2), incident, "acknowledge")

    assert response.status_code == 409
    assert "already acknowledged by Erin Engineer" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["investigate", "identify", "mitigate", "close", "reopen"])
def test_actions_not_allowed_from_the_current_state_are_409(manager, incident, action):
    response = post(api_client(manager), incident, action)

    assert response.status_code == 409
    assert Incident.objects.get(pk=incident.pk).state == "detected"


@pytest.mark.django_db
def test_an_unmet_guard_is_400(engineer, service):
    p1 = IncidentFactory(service=service, severity="P1")
    client = api_client(engineer)
    post(client, p1, "acknowledge")
    post(client, p1, "investigate")

    response = post(client, p1, "identify")

    assert response.status_code == 400
    assert "Incident Commander" in response.json()["detail"]
    incident_assign_role(incident=p1, role="commander", assignee=engineer, user=engineer)
    assert post(client, p1, "identify").status_code == 200


@pytest.mark.django_db
def test_closing_needs_a_resolution_summary(manager, engineer, service):
    incident = IncidentFactory(service=service, severity="P3")
    incident_resolve(incident=incident, user=engineer)

    response = post(api_client(manager), incident, "close")

    assert response.status_code == 400
    assert "resolution summary" in response.json()["detail"]


@pytest.mark.django_db
def test_only_the_commander_or_a_manager_closes(engineer, service):
    incident = IncidentFactory(service=service, severity="P3")
    incident_resolve(incident=incident, user=engineer)

    response = post(api_client(engineer), incident, "close", {"resolution_summary": "done"})

    assert response.status_code == 403


@pytest.mark.django_db
def test_resolve_can_mark_a_false_alarm(engineer, incident):
    response = post(api_client(engineer), incident, "resolve", {"false_alarm": True})

    assert response.status_code == 200
    assert response.json()["false_alarm"] is True


@pytest.mark.django_db
def test_stakeholders_get_403(stakeholder, incident):
    response = post(api_client(stakeholder), incident, "acknowledge")

    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).state == "detected"


@pytest.mark.django_db
def test_other_teams_get_404(outsider, incident):
    assert post(api_client(outsider), incident, "acknowledge").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{"note": ["x"]}, {"note": None}, {"state": "closed"}, {"note": "x" * 2001}, [1, 2], "just a string"]
)
def test_bad_bodies_are_400_and_change_nothing(engineer, incident, body):
    response = post(api_client(engineer), incident, "acknowledge", body)

    assert response.status_code == 400
    assert Incident.objects.get(pk=incident.pk).state == "detected"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acknowledgements_one_wins_one_gets_409(engineer, engineer2, incident):
    clients = [api_client(token=api_token(engineer)), api_client(token=api_token(engineer2))]
    barrier = threading.Barrier(2)
    statuses = []

    def acknowledge(client):
        try:
            barrier.wait(timeout=10)
            statuses.append(post(client, incident, "acknowledge").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).count() == 1
