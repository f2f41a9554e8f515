"""Events API v2 validation: a 400 in PagerDuty's shape that names every problem, and nothing stored."""

import pytest

from incidents.models import Alert, Incident
from tests.ingestion.conftest import trigger

pytestmark = pytest.mark.django_db


def errors_of(response) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    return body["errors"]


def test_a_valid_trigger_is_accepted_in_pagerdutys_shape(enqueue, routing_key):
    response = enqueue(trigger(routing_key))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-full-db1"}


def test_body_that_is_not_json(enqueue):
    assert errors_of(enqueue(None, raw=b"{not json")) == ["The request body is not valid JSON."]


def test_json_nested_beyond_reason_is_invalid_not_an_error(enqueue):
    assert errors_of(enqueue(None, raw=b"[" * 100_000)) == ["The request body is not valid JSON."]


def test_body_that_is_not_an_object(enqueue):
    assert errors_of(enqueue(["routing_key"])) == ["The event must be a JSON object."]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, ["'routing_key' is missing or blank."]),
        ("", ["'routing_key' is missing or blank."]),
        (12345, ["'routing_key' must be a string."]),
        ("abc", ["Length of 'routing_key' is incorrect (should be 32 characters)."]),
        ("a" * 31 + "-", ["'routing_key' cannot contain non-alphanumeric characters."]),
        ("é" * 32, ["'routing_key' cannot contain non-alphanumeric characters."]),
        ("ab-", ["Length of 'routing_key' is incorrect (should be 32 characters).",
                 "'routing_key' cannot contain non-alphanumeric characters."]),
    ],
)
def test_routing_key_shape(enqueue, key, expected):
    event = trigger("x")
    if key is None:
        del event["routing_key"]
    else:
        event["routing_key"] = key
    assert errors_of(enqueue(event)) == expected


def test_an_unknown_routing_key_is_invalid_as_at_pagerduty(enqueue, routing_key):
    assert errors_of(enqueue(trigger("A" * 32))) == ["Invalid routing key"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "'event_action' is missing or blank."),
        ("", "'event_action' is missing or blank."),
        ("escalate", "'event_action' must be one of trigger, acknowledge, resolve."),
    ],
)
def test_event_action(enqueue, routing_key, value, expected):
    event = trigger(routing_key)
    event["event_action"] = value
    assert errors_of(enqueue(event)) == [expected]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"summary": None}, "'payload.summary' is missing or blank."),
        ({"summary": "   "}, "'payload.summary' is missing or blank."),
        ({"summary": "x" * 1025}, "Length of 'payload.summary' is too long (maximum 1024 characters)."),
        ({"source": None}, "'payload.source' is missing or blank."),
        ({"severity": None}, "'payload.severity' must be one of critical, error, warning, info."),
        ({"severity": "fatal"}, "'payload.severity' must be one of critical, error, warning, info."),
        ({"timestamp": "yesterday"}, "'payload.timestamp' is not an ISO 8601 date and time."),
        ({"timestamp": "2015-07-17T08:42:58"}, "'payload.timestamp' is not an ISO 8601 date and time."),
        ({"component": 5}, "'payload.component' must be a string."),
        ({"group": ["web"]}, "'payload.group' must be a string."),
        ({"class": {}}, "'payload.class' must be a string."),
    ],
)
def test_trigger_payload_fields(enqueue, routing_key, change, expected):
    event = trigger(routing_key)
    for name, value in change.items():
        if value is None:
            del event["payload"][name]
        else:
            event["payload"][name] = value
    assert errors_of(enqueue(event)) == [expected]


def test_a_summary_of_exactly_1024_characters_is_fine(enqueue, routing_key):
    assert enqueue(trigger(routing_key, summary="x" * 1024)).status_code == 202


def test_pagerdutys_timestamp_format_is_accepted(enqueue, routing_key):
    assert enqueue(trigger(routing_key, timestamp="2015-07-17T08:42:58.315+0000")).status_code == 202


def test_a_trigger_needs_a_payload(enqueue, routing_key):
    event = trigger(routing_key)
    del event["payload"]
    assert errors_of(enqueue(event)) == ["'payload' is missing or is not an object."]


def test_dedup_key_rules(enqueue, routing_key):
    assert errors_of(enqueue(trigger(routing_key, dedup_key="k" * 256))) == [
        "Length of 'dedup_key' is too long (maximum 255 characters)."
    ]
    event = trigger(routing_key)
    event["dedup_key"] = 42
    assert errors_of(enqueue(event)) == ["'dedup_key' must be a string."]
    for event_action in ("acknowledge", "resolve"):
        response = enqueue({"routing_key": routing_key, "event_action": event_action})
        assert errors_of(response) == [f"'dedup_key' is required for {event_action} events."]


def test_acknowledge_and_resolve_need_no_payload(enqueue, routing_key):
    for event_action in ("acknowledge", "resolve"):
        response = enqueue({"routing_key": routing_key, "event_action": event_action, "dedup_key": "nothing-open"})
        assert response.status_code == 202


def test_client_images_and_links(enqueue, routing_key):
    event = trigger(routing_key)
    event.update(
        client=7, client_url=["x"], images=[{"href": "https://example.com"}, "logo.png"], links={"href": "x"},
    )
    assert errors_of(enqueue(event)) == [
        "'client' must be a string.",
        "'client_url' must be a string.",
        "'images[0].src' is missing or blank.",
        "'images[1]' must be an object.",
        "'links' must be an array.",
    ]


def test_every_problem_is_named_at_once(enqueue):
    response = enqueue({"routing_key": "short", "event_action": "trigger", "payload": {"severity": "loud"}})
    assert errors_of(response) == [
        "Length of 'routing_key' is incorrect (should be 32 characters).",
        "'payload.summary' is missing or blank.",
        "'payload.source' is missing or blank.",
        "'payload.severity' must be one of critical, error, warning, info.",
    ]


def test_an_invalid_event_stores_nothing(enqueue, routing_key):
    enqueue(trigger(routing_key, severity="loud"))
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()


def test_only_post_is_allowed(sender, routing_key):
    response = sender.get("/integrations/v2/enqueue")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_bodies_over_512_kb_are_refused_with_413(enqueue, routing_key):
    event = trigger(routing_key, custom_details={"log": "x" * (512 * 1024)})
    response = enqueue(event)
    assert response.status_code == 413
    assert response.json()["status"] == "payload too large"
    assert not Alert.objects.exists()


def test_a_body_just_under_512_kb_is_accepted(enqueue, routing_key):
    event = trigger(routing_key, custom_details={"log": "x" * (500 * 1024)})
    assert enqueue(event).status_code == 202


def test_both_url_spellings_answer_without_a_redirect(sender, routing_key):
    import json

    for path in ("/integrations/v2/enqueue", "/integrations/v2/enqueue/"):
        response = sender.post(path, data=json.dumps(trigger(routing_key)), content_type="application/json")
        assert response.status_code == 202, path
