import time

import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_database_and_broker_answer(client):
    # The broker is whatever CELERY_BROKER_URL names (Redis in CI), else the local filesystem broker.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_within_seconds_when_the_broker_is_unreachable(client, monkeypatch):
    # broker_write_url wins over broker_url (and over CELERY_BROKER_URL in the environment).
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")

    started = time.monotonic()
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("down: ")
    assert time.monotonic() - started < 10
