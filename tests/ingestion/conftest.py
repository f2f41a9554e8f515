"""Ingestion fixtures: an Events API v2 and an Alertmanager integration on the Checkout API service, and helpers
that post to the endpoints the way the senders do (JSON body, no session, no CSRF token).

Every test starts with empty per-process caches (keys, rate-limit shares) and counts rate limits in the
database (no Redis), so tests are independent of each other and of any Redis around."""

import json

import pytest
from django.test import Client

from incidents.ingestion import keys, limits
from incidents.ingestion.services import integration_create

ENQUEUE = "/integrations/v2/enqueue"
ALERTMANAGER = "/integrations/alertmanager/"


@pytest.fixture(autouse=True)
def fresh_ingestion_state(settings):
    settings.INGESTION_REDIS_URL = ""
    settings.INGESTION_COUNTER_FLUSH_SECONDS = 0
    keys.integration_changed()
    limits.rate_limit_forget()
    yield
    keys.integration_changed()
    limits.rate_limit_forget()


@pytest.fixture
def sender():
    """A client like a monitoring tool: it enforces CSRF checks (so an endpoint needing a token would fail)."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def events_integration(service):
    integration, key = integration_create(user=None, service=service, name="Datadog", kind="events_v2")
    integration.key = key
    return integration


@pytest.fixture
def routing_key(events_integration):
    return events_integration.key


@pytest.fixture
def am_integration(service):
    integration, key = integration_create(user=None, service=service, name="Prometheus", kind="alertmanager")
    integration.key = key
    return integration


def trigger(routing_key: str, dedup_key: str | None = "disk-full-db1", **payload) -> dict:
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "payload": {"summary": "Disk 95% full on db1", "source": "db1.example.com", "severity": "error", **payload},
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event


def action(routing_key: str, event_action: str, dedup_key: str = "disk-full-db1") -> dict:
    return {"routing_key": routing_key, "event_action": event_action, "dedup_key": dedup_key}


@pytest.fixture
def enqueue(sender):
    def post(event, *, raw: bytes | None = None, **extra):
        body = raw if raw is not None else json.dumps(event)
        return sender.post(ENQUEUE, data=body, content_type="application/json", **extra)

    return post


def notification(status="firing", *, group="HighLatency", alerts=None, **fields) -> dict:
    """An Alertmanager webhook body (version 4), shaped like the documentation's."""
    alerts = alerts if alerts is not None else [am_alert("a1", status=status)]
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "watchkeeper",
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group, "job": "checkout"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": alerts,
    }
    body.update(fields)
    return body


def am_alert(fingerprint, *, status="firing", severity="warning", summary=None, alertname="HighLatency", **labels):
    annotations = {"description": f"{fingerprint} is slow"}
    if summary:
        annotations["summary"] = summary
    return {
        "status": status,
        "labels": {"alertname": alertname, "severity": severity, "instance": f"{fingerprint}:9100", **labels},
        "annotations": annotations,
        "startsAt": "2026-03-04T11:55:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-04T12:10:00.000Z",
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=latency",
        "fingerprint": fingerprint,
    }


@pytest.fixture
def alertmanager(sender, am_integration):
    def post(body, *, key: str | None = None, in_url: bool = False, raw: bytes | None = None):
        key = am_integration.key if key is None else key
        data = raw if raw is not None else json.dumps(body)
        if in_url:
            return sender.post(f"{ALERTMANAGER}{key}/", data=data, content_type="application/json")
        return sender.post(ALERTMANAGER, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")

    return post
