"""Noise review in the API: `POST /incidents/{id}/verdict/` and `/integration-verdicts/`, with the pages'
permissions (other teams 404, stakeholders 403) and 400s naming the field."""

import pytest

from incidents.ingestion.services import integration_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(service):
    return integration_create(user=None, service=service, name="Prometheus", kind="alertmanager")[0]


def test_the_api_verdict(api, incident, engineer, stakeholder, outsider):
    url = f"/api/v1/incidents/{incident.pk}/verdict/"
    response = api(engineer).post(url, {"verdict": "noisy", "reason": "Duplicate of the CPU alert"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["noise_verdict"], body["noise_reason"], body["false_alarm"]) == ("noisy",
                                                                                  "Duplicate of the CPU alert", False)
    assert api(stakeholder).post(url, {"verdict": "noisy"}, format="json").status_code == 403
    assert api(outsider).post(url, {"verdict": "noisy"}, format="json").status_code == 404
    bad = api(engineer).post(url, {"verdict": "meh"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "verdict"
    assert api(engineer).post(url, {"verdict": "noisy", "state": "closed"}, format="json").status_code == 400
    listed = api(engineer).get("/api/v1/incidents/?service=checkout-api").json()["results"][0]
    assert listed["noise_verdict"] == "noisy"



def test_the_integration_verdict_api_and_its_permissions(api, integration, engineer, stakeholder, outsider):
    url = "/api/v1/integration-verdicts/"
    body = {"integration": integration.pk, "verdict": "noisy", "reason": "Flapping"}
    created = api(engineer).post(url, body, format="json")
    assert created.status_code == 201 and created.json()["integration_name"] == "Prometheus"
    assert [v["verdict"] for v in api(engineer).get(url).json()["results"]] == ["noisy"]
    assert api(stakeholder).post(url, body, format="json").status_code == 403
    refused = api(outsider).post(url, body, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "integration"  # not theirs: no such integration
    assert api(outsider).get(url).json()["results"] == []


def test_a_non_ascii_digit_integration_filter_is_ignored_not_a_500(api, integration, engineer):
    # "²".isdigit() is true but int("²") raises.
    response = api(engineer).get("/api/v1/integration-verdicts/", {"integration": "²"})
    assert response.status_code == 200
