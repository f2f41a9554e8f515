"""An incident's timeline (read-only), status updates and role assignments."""

import pytest

from incidents.models import RoleAssignment, StatusUpdate
from incidents.services import incident_acknowledge, incident_assign_role
from tests.factories import IncidentFactory
from tests.factories.api import api_client

pytestmark = pytest.mark.django_db


def url(incident, tail: str) -> str:
    return f"/api/v1/incidents/{incident.pk}/{tail}/"


def test_the_timeline_lists_what_happened_oldest_first(engineer, incident):
    incident_acknowledge(incident=incident, user=engineer, note="looking")

    body = api_client(engineer).get(url(incident, "timeline")).json()

    assert [e["kind"] for e in body["results"]] == ["declared", "transition"]
    assert body["results"][1]["actor"]["username"] == "erin"
    assert body["results"][1]["to_state"] == "acknowledged"


def test_the_timeline_is_read_only(engineer, incident):
    response = api_client(engineer).post(url(incident, "timeline"), {"note": "x"}, format="json")

    assert response.status_code == 405


def test_another_teams_timeline_is_404(outsider, incident):
    assert api_client(outsider).get(url(incident, "timeline")).status_code == 404


def test_posting_a_status_update(engineer, stakeholder, incident):
    response = api_client(engineer).post(
        url(incident, "status-updates"), {"body": "Rolling back.", "audience": "external"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["audience"] == "external"
    assert response.json()["posted_by"]["username"] == "erin"
    listed = api_client(stakeholder).get(url(incident, "status-updates")).json()["results"]
    assert [u["body"] for u in listed] == ["Rolling back."]


@pytest.mark.parametrize(("body", "field"), [({"body": "  "}, "body"), ({"body": "x", "audience": "all"}, "audience"),
                                             ({}, "body")])
def test_status_update_errors(engineer, incident, body, field):
    response = api_client(engineer).post(url(incident, "status-updates"), body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_stakeholders_cannot_post_updates(stakeholder, incident):
    response = api_client(stakeholder).post(url(incident, "status-updates"), {"body": "hi"}, format="json")

    assert response.status_code == 403
    assert not StatusUpdate.objects.exists()


def test_assigning_and_handing_over_a_role(engineer, engineer2, outsider, incident):
    client = api_client(engineer)

    first = client.post(url(incident, "roles"), {"role": "commander", "assignee": "erin"}, format="json")
    second = client.post(url(incident, "roles"), {"role": "commander", "assignee": "otto"}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    listed = client.get(url(incident, "roles")).json()["results"]
    assert [(a["user"]["username"], a["active"]) for a in listed] == [("erin", False), ("otto", True)]
    # The assignee from another team can now see the incident.
    assert api_client(outsider).get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
    detail = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert detail["roles"] == [{"role": "commander", "user": second.json()["user"]}]


@pytest.mark.parametrize(("body", "field"), [
    ({"role": "boss", "assignee": "erin"}, "role"),
    ({"role": "scribe", "assignee": "nobody"}, "assignee"),
    ({"role": "scribe"}, "assignee"),
])
def test_role_assignment_errors(engineer, incident, body, field):
    response = api_client(engineer).post(url(incident, "roles"), body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_relieving_a_role(engineer, engineer2, incident):
    assignment = incident_assign_role(incident=incident, role="sme", assignee=engineer2, user=engineer)
    client = api_client(engineer)

    response = client.post(f"{url(incident, 'roles')}{assignment.pk}/relieve/")
    again = client.post(f"{url(incident, 'roles')}{assignment.pk}/relieve/")

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert again.status_code == 400
    assert RoleAssignment.objects.get(pk=assignment.pk).relieved_at is not None


def test_an_assignment_of_another_incident_is_404(engineer, engineer2, incident, service):
    other = IncidentFactory(service=service)
    assignment = incident_assign_role(incident=other, role="sme", assignee=engineer2, user=engineer)

    response = api_client(engineer).post(f"{url(incident, 'roles')}{assignment.pk}/relieve/")

    assert response.status_code == 404


def test_stakeholders_cannot_assign_roles(stakeholder, incident):
    response = api_client(stakeholder).post(
        url(incident, "roles"), {"role": "scribe", "assignee": "sam"}, format="json"
    )

    assert response.status_code == 403
