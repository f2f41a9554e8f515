"""The ingestion endpoints are served before the browser middleware, and only they."""

import json

import pytest

from tests.ingestion.conftest import ENQUEUE, trigger

pytestmark = pytest.mark.django_db


def test_events_skip_sessions_and_csrf_but_not_the_host_check(sender, routing_key):
    response = sender.post(ENQUEUE, data=json.dumps(trigger(routing_key)), content_type="application/json")
    assert response.status_code == 202
    assert "Set-Cookie" not in response and "Cookie" not in response.get("Vary", "")
    response = sender.post(ENQUEUE, data=json.dumps(trigger(routing_key)), content_type="application/json",
                           HTTP_HOST="evil.example.com")
    assert response.status_code == 400


def test_https_redirect_still_applies(sender, routing_key, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = sender.post(ENQUEUE, data=json.dumps(trigger(routing_key)), content_type="application/json")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_other_paths_under_the_prefix_go_down_the_whole_stack(client):
    assert client.get("/integrations/nothing-here").status_code == 404


def test_the_rest_of_the_site_is_untouched(client):
    response = client.get("/incidents/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
