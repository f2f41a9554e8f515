"""GET /api/v1/metrics/: the caller's teams only, filters and windows validated, in the schema."""

import pytest
import time_machine
import yaml

from tests.factories.api import api_client
from tests.metrics.conftest import NOW

pytestmark = pytest.mark.django_db
MARCH = {"since": "2026-03-02", "until": "2026-03-30"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_metrics_for_my_teams(world, engineer):
    response = api_client(engineer).get("/api/v1/metrics/", MARCH)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"]["since"] == "2026-03-02T00:00:00Z" and body["scope"]["until"] == "2026-03-30T00:00:00Z"
    assert [team["slug"] for team in body["scope"]["teams"]] == ["payments"]
    assert body["response"]["overall"]["mtta"] == {"mean": 730.0, "median": 480.0, "p90": 1500.0, "count": 6}
    assert body["response"]["by_week"][0]["week"] == "2026-03-02"
    headline = {row["key"]: row for row in body["headlines"]}["mtta_p1"]
    assert (headline["value"], headline["target"], headline["status"]) == (420.0, "< 5 min", "not_met")
    assert body["quality"]["recurrence"]["rate"] == 0.6
    assert body["on_call"]["after_hours"]["after_hours"] == 3


def test_filters_narrow_the_scope(world, engineer):
    client = api_client(engineer)

    body = client.get("/api/v1/metrics/", {**MARCH, "team": "payments", "service": "checkout-api",
                                            "severity": "P2"}).json()

    assert body["scope"]["service"] == "checkout-api" and body["scope"]["severity"] == "P2"
    assert body["response"]["overall"]["incidents"] == 3


def test_datetimes_with_offsets_are_accepted(world, engineer):
    body = api_client(engineer).get("/api/v1/metrics/", {"since": "2026-03-02T01:00:00+01:00",
                                                         "until": "2026-03-30T00:00:00Z"}).json()

    assert body["scope"]["since"] == "2026-03-02T00:00:00Z"


@pytest.mark.parametrize(("query", "field"), [
    ({"since": "2026-03-30", "until": "2026-03-02"}, "until"),
    ({"since": "2026-03-02", "until": "2026-03-02"}, "until"),
    ({"since": "2020-01-01", "until": "2026-01-01"}, "since"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-02-30"}, "until"),
    ({"since": "1969-12-31"}, "since"),
    ({"severity": "P9"}, "severity"),
    ({"team": "not a slug!"}, "team"),
])
def test_bad_input_is_a_400_naming_the_field(world, engineer, query, field):
    response = api_client(engineer).get("/api/v1/metrics/", query)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


@pytest.mark.parametrize("query", [{"team": "search"}, {"service": "search-api"}, {"team": "nope"}])
def test_other_teams_and_services_are_404(world, engineer, query):
    response = api_client(engineer).get("/api/v1/metrics/", query)

    assert response.status_code == 404
    assert response.json()["detail"]


def test_anonymous_is_401(world):
    assert api_client().get("/api/v1/metrics/").status_code == 401


def test_the_default_window_is_the_last_30_days(world, engineer):
    scope = api_client(engineer).get("/api/v1/metrics/").json()["scope"]

    assert (scope["since"], scope["until"]) == ("2026-03-02T12:00:00Z", "2026-04-01T12:00:00Z")


def test_the_endpoint_is_in_the_schema_with_its_errors(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)

    operation = schema["paths"]["/api/v1/metrics/"]["get"]
    assert {"200", "400", "401", "403", "404", "406"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"team", "service", "severity", "since", "until"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Metrics")
