"""/api/v1/services/ (managers write through the service rules) and /api/v1/teams/ (read-only)."""

import pytest

from incidents.models import Service
from oncall.models import EscalationPolicy
from tests.factories.api import api_client

pytestmark = pytest.mark.django_db
SERVICES = "/api/v1/services/"


def test_services_list_only_my_teams(engineer, service, other_service):
    body = api_client(engineer).get(SERVICES).json()

    assert [s["slug"] for s in body["results"]] == ["checkout-api"]
    assert body["results"][0]["team"] == "payments"


def test_another_teams_service_is_404(engineer, other_service):
    assert api_client(engineer).get(f"{SERVICES}search-api/").status_code == 404


def test_a_manager_creates_a_service(manager, team):
    response = api_client(manager).post(
        SERVICES, {"team": "payments", "name": "Ledger", "slug": "ledger", "runbook": "1. Check."}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["team"] == "payments"
    ledger = Service.objects.get(slug="ledger")
    assert manager.has_perm("incidents.declare_incident", ledger)


def test_engineers_cannot_create_services(engineer, team):
    response = api_client(engineer).post(SERVICES, {"team": "payments", "name": "X", "slug": "x"}, format="json")

    assert response.status_code == 403
    assert "manager" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"team": "payments", "name": "Dup", "slug": "checkout-api"}, "slug"),
        ({"team": "payments", "name": "Bad", "slug": "not a slug"}, "slug"),
        ({"team": "search", "name": "Theirs", "slug": "theirs"}, "team"),
        ({"team": "payments", "name": "X", "slug": "x", "runbook_url": "not a url"}, "runbook_url"),
        ({"team": "payments", "name": "X", "slug": "x", "escalation_policy": 10**30}, "escalation_policy"),
    ],
)
def test_service_input_errors(manager, service, other_service, body, field):
    response = api_client(manager).post(SERVICES, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


def test_a_policy_of_another_of_my_teams_is_refused_by_the_model_rule(manager, service, other_team):
    from oncall.models import TeamRole
    from oncall.services import team_member_set

    team_member_set(team=other_team, user=manager, role=TeamRole.MANAGER)
    theirs = EscalationPolicy.objects.get(team=other_team)

    response = api_client(manager).patch(f"{SERVICES}checkout-api/", {"escalation_policy": theirs.pk}, format="json")

    assert response.status_code == 400
    assert "escalation_policy" in response.json()["errors"]


def test_a_manager_edits_a_service(manager, service):
    response = api_client(manager).patch(
        f"{SERVICES}checkout-api/", {"description": "Takes the money.", "is_active": False}, format="json"
    )

    assert response.status_code == 200
    service.refresh_from_db()
    assert (service.description, service.is_active) == ("Takes the money.", False)


def test_engineers_cannot_edit_services(engineer, service):
    response = api_client(engineer).patch(f"{SERVICES}checkout-api/", {"name": "Mine"}, format="json")

    assert response.status_code == 403


def test_the_slug_cannot_be_edited(manager, service):
    response = api_client(manager).patch(f"{SERVICES}checkout-api/", {"slug": "renamed"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"slug": ["This field cannot be set."]}


def test_teams_list_my_teams_with_members(engineer, manager, stakeholder, other_team):
    body = api_client(engineer).get("/api/v1/teams/").json()

    assert [t["slug"] for t in body["results"]] == ["payments"]
    roles = {m["user"]["username"]: m["role"] for m in body["results"][0]["members"]}
    assert roles == {"erin": "engineer", "mona": "manager", "sam": "stakeholder"}


def test_another_team_is_404(engineer, other_team):
    assert api_client(engineer).get("/api/v1/teams/search/").status_code == 404
    assert api_client(engineer).get("/api/v1/teams/payments/").status_code == 200
