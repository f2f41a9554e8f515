"""Errors are JSON of one shape whatever the input; the schema documents every operation's error statuses;
the docs pages load their assets from our own static files."""

import pytest
import yaml

from tests.factories.api import api_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("post", "/api/v1/incidents/", '{"title": ', "application/json", 400),
        ("post", "/api/v1/incidents/", "[]", "application/json", 400),
        ("post", "/api/v1/incidents/", "title=x", "application/x-www-form-urlencoded", 415),
        ("post", "/api/v1/incidents/", '{"service": 1e999, "title": 1}', "application/json", 400),
        ("post", "/api/v1/incidents/", '{"service": "checkout-api", "title": "x", "impact_started_at": 5}',
         "application/json", 400),
        ("post", "/api/v1/incidents/", '{"service": "checkout-api", "title": "x\\u0000y"}', "application/json", 400),
        ("patch", "/api/v1/incidents/{pk}/", '{"impact_started_at": "2026-02-30T00:00:00Z"}', "application/json",
         400),
        ("patch", "/api/v1/incidents/{pk}/", '{"false_alarm": "maybe"}', "application/json", 400),
        ("post", "/api/v1/incidents/{pk}/roles/", '{"role": "sme", "assignee": 99999999999999999999999}',
         "application/json", 400),
        ("get", "/api/v1/incidents/99999999999999999999999999/", None, None, 404),
        ("get", "/api/v1/incidents/abc/", None, None, 404),
        ("post", "/api/v1/incidents/99999999999999999999/acknowledge/", "{}", "application/json", 404),
        ("get", "/api/v1/incidents/99999999999999999999/timeline/", None, None, 404),
        ("post", "/api/v1/swap-requests/99999999999999999999/accept/", "{}", "application/json", 404),
        ("post", "/api/v1/incidents/", '{"service": "\\u0000L", "title": "x"}', "application/json", 400),
        ("post", "/api/v1/incidents/", '{"service": "\\ud997", "title": "x"}', "application/json", 400),
        ("post", "/api/v1/incidents/{pk}/roles/", '{"role": "sme", "assignee": "\\u0000"}', "application/json", 400),
        ("post", "/api/v1/services/", '{"team": "payments", "name": "x", "slug": "x", "escalation_policy": 1e999}',
         "application/json", 400),
        ("post", "/api/v1/services/", '{"team": "payments", "name": "x", "slug": "x", "escalation_policy": 1.5}',
         "application/json", 400),
        ("post", "/api/v1/overrides/", '{"rotation": 1e999, "user": "erin", "start": "x", "end": "y"}',
         "application/json", 400),
        ("get", "/api/v1/overrides/?rotation=1e400", None, None, 400),
        ("get", "/api/v1/overrides/?ends_after=2026-13-01", None, None, 400),
        ("get", "/api/v1/oncall/?at=yesterday", None, None, 400),
        ("get", "/api/v1/oncall/?at=2026-01-01T00:00:00%2B23:59", None, None, 200),
        ("post", "/api/v1/overrides/", '{"rotation": -1, "user": "erin", "start": "x", "end": "y"}',
         "application/json", 400),
    ],
)
def test_no_input_is_a_server_error(engineer, incident, method, path, body, content_type, status):
    client = api_client(engineer)
    kwargs = {"data": body, "content_type": content_type} if body is not None else {}

    response = getattr(client, method)(path.format(pk=incident.pk), **kwargs)

    assert response.status_code == status, response.content
    if status >= 400:
        error = response.json()
        assert isinstance(error["detail"], str) and error["detail"]
        assert isinstance(error["errors"], dict)


def test_an_unacceptable_accept_header_is_406_json(engineer):
    response = api_client(engineer).get("/api/v1/incidents/", HTTP_ACCEPT="text/csv")

    assert response.status_code == 406


def test_field_errors_name_the_field_and_the_message(engineer, service):
    response = api_client(engineer).post("/api/v1/incidents/", {"service": "checkout-api"}, format="json")

    assert response.json() == {
        "detail": "title: This field is required.",
        "field": "title",
        "errors": {"title": ["This field is required."]},
    }


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_public_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["bearerAuth"][
            "description"]
    }


def test_every_operation_documents_its_error_statuses(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "406"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch"):
                assert {"400", "409", "415"} <= codes, (method, path)
            for code in codes - {"200", "201", "204"}:  # 204: no body (DELETE)
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)


def test_the_transitions_and_actions_are_all_there(schema):
    for action in ("acknowledge", "investigate", "identify", "mitigate", "resolve", "close", "reopen"):
        assert "post" in schema["paths"][f"/api/v1/incidents/{{id}}/{action}/"]
    for action in ("accept", "approve", "decline", "cancel"):
        assert "post" in schema["paths"][f"/api/v1/swap-requests/{{id}}/{action}/"]


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_use_no_cdn(client, page):
    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_the_api_root_lists_the_resources(client):
    body = client.get("/api/v1/").json()

    assert body["incident-list"].endswith("/api/v1/incidents/")
    assert body["postmortem-list"].endswith("/api/v1/postmortems/")
    assert body["action-item-list"].endswith("/api/v1/action-items/")
    assert body["metrics"].endswith("/api/v1/metrics/")
    assert body["docs"].endswith("/api/v1/docs/")


def test_the_schema_generates_without_warnings(tmp_path):
    """Warnings mean ambiguous enum names or fields the generator had to guess: clients would see them."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
