"""The WSGI handler gunicorn runs (config/wsgi.py): ingestion paths take its short lane — security middleware,
the view, Django's error handling and logging, the connection kept like Django's signals would — and every
other path Django's full handler, unchanged."""

import json
import logging

import pytest
from django.db import connection
from django.test import RequestFactory

from incidents.ingestion.handler import WatchkeeperWSGIHandler
from incidents.models import Alert
from tests.ingestion.conftest import ALERTMANAGER, ENQUEUE, trigger

pytestmark = pytest.mark.django_db


class Answer:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.body = body

    def json(self):
        return json.loads(self.body)


@pytest.fixture
def wsgi():
    def call(method: str, path: str, body: bytes = b"", **extra) -> Answer:
        handler = WatchkeeperWSGIHandler()  # per call: middleware reads its settings when it is made
        request = RequestFactory().generic(method, path, data=body, content_type="application/json", **extra)
        started = []
        iterable = handler(request.environ, lambda status, headers, exc_info=None: started.append((status, headers)))
        try:
            content = b"".join(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()
        return Answer(*started[0], content)

    return call


def post_event(wsgi, event: dict, **extra) -> Answer:
    return wsgi("POST", ENQUEUE, json.dumps(event).encode(), **extra)


def test_an_event_is_stored_and_answered_with_the_security_headers(wsgi, routing_key, events_integration):
    answer = post_event(wsgi, trigger(routing_key))
    assert answer.status_code == 202
    assert answer.json()["status"] == "success"
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in answer.headers
    assert Alert.objects.filter(integration=events_integration).count() == 1


def test_the_key_in_the_path_and_the_trailing_slash_variants_are_served(wsgi, am_integration):
    from tests.ingestion.conftest import notification

    body = json.dumps(notification()).encode()
    assert wsgi("POST", f"{ALERTMANAGER}{am_integration.key}/", body).status_code == 200
    assert wsgi("POST", ALERTMANAGER.rstrip("/"), body, HTTP_AUTHORIZATION=f"Bearer {am_integration.key}"
                ).status_code == 200
    assert wsgi("POST", ENQUEUE + "/", b"{}").status_code == 400


def test_an_invalid_event_is_a_400_logged_like_django_does(wsgi, routing_key, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        answer = post_event(wsgi, {"routing_key": routing_key})
    assert answer.status_code == 400
    assert "'event_action' is missing or blank." in answer.json()["errors"]
    assert any(record.name == "django.request" and ENQUEUE in record.getMessage() for record in caplog.records)


def test_a_host_not_allowed_is_refused(wsgi, routing_key, events_integration):
    answer = post_event(wsgi, trigger(routing_key), HTTP_HOST="evil.example.com")
    assert answer.status_code == 400
    assert not Alert.objects.filter(integration=events_integration).exists()


def test_https_redirect_still_applies(wsgi, routing_key, settings):
    settings.SECURE_SSL_REDIRECT = True
    answer = post_event(wsgi, trigger(routing_key))
    assert answer.status_code == 301 and answer.headers["Location"].startswith("https://")


def test_hsts_on_a_secure_request(wsgi, routing_key, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    answer = post_event(wsgi, trigger(routing_key), **{"wsgi.url_scheme": "https"})
    assert answer.status_code == 202
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=3600")


def test_an_unexpected_error_is_a_logged_500(wsgi, routing_key, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("incidents.views.ingestion.event_v2_ingest", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        answer = post_event(wsgi, trigger(routing_key))
    assert answer.status_code == 500
    assert any(record.exc_info and "boom" in str(record.exc_info[1]) for record in caplog.records)


def test_a_heartbeat_ping_takes_the_short_lane_too(wsgi):
    answer = wsgi("GET", "/integrations/heartbeat/no-such-key/")
    assert answer.status_code == 404
    assert answer.json()["status"] == "not found"  # the heartbeat view's JSON, not the site's 404 page


def test_the_short_lane_sends_no_request_signals_unless_switched_off(wsgi, routing_key, settings):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    started = []

    def receiver(**kwargs):
        started.append(kwargs.get("environ", {}).get("PATH_INFO"))

    request_started.connect(receiver)
    # As Django's test client does: the test's transaction must survive the full handler's signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        assert post_event(wsgi, trigger(routing_key)).status_code == 202
        assert started == []  # the short lane
        settings.INGESTION_SHORT_LANE = False  # for tools hooked on the signals: Django's full handler
        assert post_event(wsgi, trigger(routing_key)).status_code == 202
        assert started == [ENQUEUE]
    finally:
        request_started.disconnect(receiver)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_other_paths_go_through_the_whole_site(wsgi):
    assert wsgi("GET", "/integrations/nothing-here").status_code == 404
    answer = wsgi("GET", "/incidents/")
    assert answer.status_code == 302 and "/accounts/login/" in answer.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_the_connection_is_kept_or_closed_as_conn_max_age_says(wsgi, routing_key, events_integration, monkeypatch):
    post_event(wsgi, trigger(routing_key))
    assert connection.connection is not None  # persistent: kept for the next request
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    connection.close_at = 0  # past its age: replaced before the request, the new one closed after it
    answer = post_event(wsgi, trigger(routing_key))
    assert answer.status_code == 202
    assert connection.connection is None
    assert Alert.objects.filter(integration=events_integration).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_broken_connection_is_replaced_before_the_next_request(wsgi, routing_key, events_integration):
    post_event(wsgi, trigger(routing_key))
    connection.connection.close()  # the server went away between two requests
    connection.errors_occurred = True
    assert post_event(wsgi, trigger(routing_key)).status_code == 202
    assert Alert.objects.filter(integration=events_integration).count() == 2

