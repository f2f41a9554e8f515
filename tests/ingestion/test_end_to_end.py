"""End to end, over real HTTP against a live server, the way the senders do it: integrations made with
`manage.py create_integration`, then PagerDuty's documented Events API v2 example events (trigger, acknowledge,
resolve) and Alertmanager's documented webhook body, byte for byte apart from keys. Checks what a responder
would find: the incidents, their alerts, the timeline, and the paging (policy frozen, level 1 due and kicked
after commit, paged by the worker's task, stopped by the acknowledgement)."""

import io
import json
import re
import urllib.error
import urllib.request
from unittest import mock

import pytest
from django.core.management import call_command

from incidents.models import Alert, Incident, IncidentState, Page, PageKind, TimelineEntry, TimelineKind
from incidents.services.paging import incident_escalate
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures: the Payments on-call and its policy)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ — "Example Request Payloads".
PAGERDUTY_TRIGGER = """{
  "payload": {
    "summary": "Example alert on host1.example.com",
    "timestamp": "2015-07-17T08:42:58.315+0000",
    "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
    "severity": "info",
    "component": "postgres",
    "group": "prod-datapipe",
    "class": "deploy",
    "custom_details": {
      "ping time": "1500ms",
      "load avg": 0.75
    }
  },
  "routing_key": "samplekeyhere",
  "dedup_key": "samplekeyhere",
  "images": [
    {
      "src": "https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png",
      "href": "https://example.com/",
      "alt": "Example text"
    }
  ],
  "links": [
    {
      "href": "https://example.com/",
      "text": "Link text"
    }
  ],
  "event_action": "trigger",
  "client": "Sample Monitoring Service",
  "client_url": "https://monitoring.example.com"
}"""
PAGERDUTY_ACKNOWLEDGE = """{
  "routing_key": "routingkeyhere",
  "dedup_key": "samplekeyhere",
  "event_action": "acknowledge"
}"""
PAGERDUTY_RESOLVE = """{
  "routing_key": "routingkeyhere",
  "dedup_key": "samplekeyhere",
  "event_action": "resolve"
}"""

# https://prometheus.io/docs/alerting/latest/configuration/#webhook_config — the body's fields, filled in as
# Alertmanager 0.27 sends them (one group, one alert).
ALERTMANAGER_FIRING = """{
  "version": "4",
  "groupKey": "{}/{severity=\\"critical\\"}:{alertname=\\"ProbeFailure\\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "watchkeeper",
  "groupLabels": {"alertname": "ProbeFailure"},
  "commonLabels": {"alertname": "ProbeFailure", "instance": "https://server.example.org", "job": "http_checks",
                   "severity": "critical"},
  "commonAnnotations": {"description": "Instance https://server.example.org has been down for over 5m.",
                        "summary": "BlackBox Probe Failure: https://server.example.org"},
  "externalURL": "http://prometheus.example.org:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "ProbeFailure", "instance": "https://server.example.org", "job": "http_checks",
                 "severity": "critical"},
      "annotations": {"description": "Instance https://server.example.org has been down for over 5m.",
                      "summary": "BlackBox Probe Failure: https://server.example.org"},
      "startsAt": "2026-03-04T11:50:45.828Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
      "fingerprint": "1a30ba71cca2921f"
    }
  ]
}"""


def create_integration(kind: str, *extra: str) -> tuple[str, str]:
    out = io.StringIO()
    call_command("create_integration", "checkout-api", "--kind", kind, *extra, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    return re.search(r"key: (\w+)", text)[1], re.search(r"url: (\S+)", text)[1]


def with_key(document: str, key: str) -> str:
    """The documented event with our routing key in place of the placeholder, nothing else changed."""
    return re.sub(r'"routing_key": "\w+"', f'"routing_key": "{key}"', document)


def http_post(url: str, body: str, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the live test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def kicks():
    """The after-commit kick to a Celery worker, recorded instead of sent (the test plays the worker)."""
    with mock.patch("incidents.tasks.escalate_incident.apply_async") as kick:
        yield kick


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url  # so the command prints the live server's URLs
    settings.INGESTION_REDIS_URL = ""
    return live_server.url


def test_a_pagerduty_client_pointed_at_watchkeeper(site, service, ladder, kicks):
    key, url = create_integration("events_v2")
    assert url == f"{site}/integrations/v2/enqueue"
    base_url = url.removesuffix("/v2/enqueue")  # what a PagerDuty client is configured with

    status, body = http_post(f"{base_url}/v2/enqueue", with_key(PAGERDUTY_TRIGGER, key))
    assert (status, body) == (202, {"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"})
    # The same trigger again: an alert on the same incident.
    status, _ = http_post(url, with_key(PAGERDUTY_TRIGGER, key))
    assert status == 202

    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.state) == ("Example alert on host1.example.com", "P4",
                                                                  IncidentState.DETECTED)
    assert incident.alerts.count() == 2
    alert = incident.alerts.first()
    assert alert.payload["payload"]["custom_details"] == {"ping time": "1500ms", "load avg": 0.75}
    assert alert.payload["routing_key"] == "(redacted)"
    # Paging: the team's default policy frozen, level 1 due now, a worker kicked after the declaring commit.
    assert incident.escalation_policy_name and incident.escalation_snapshot
    assert incident.next_escalation_at == incident.detected_at
    kicks.assert_called_once_with((incident.pk,))
    assert incident_escalate(incident_id=incident.pk) == 1  # what the kicked worker does
    page = Page.objects.get(incident=incident)
    assert (page.kind, page.level, page.cycle) == (PageKind.ESCALATION, 1, 1)
    assert [r["name"] for r in page.recipients] == ["Pia Payments"]

    status, body = http_post(url, with_key(PAGERDUTY_ACKNOWLEDGE, key))
    assert (status, body["dedup_key"]) == (202, "samplekeyhere")
    incident.refresh_from_db()
    assert incident.state == IncidentState.ACKNOWLEDGED
    assert incident.next_escalation_at is None and incident.escalation_ended_at is not None

    status, _ = http_post(url, with_key(PAGERDUTY_RESOLVE, key))
    assert status == 202
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    timeline = [(e.kind, e.to_state, e.actor_id) for e in TimelineEntry.objects.filter(incident=incident)]
    assert timeline == [
        (TimelineKind.DECLARED, "detected", None),
        (TimelineKind.PAGE, "", None),
        (TimelineKind.TRANSITION, "acknowledged", None),
        (TimelineKind.TRANSITION, "resolved", None),
    ]
    assert list(incident.alerts.values_list("action", flat=True)) == ["trigger", "trigger", "acknowledge", "resolve"]

    # After resolution: a resolve is dropped, a trigger opens a new incident.
    assert http_post(url, with_key(PAGERDUTY_RESOLVE, key))[0] == 202
    assert Incident.objects.count() == 1
    http_post(url, with_key(PAGERDUTY_TRIGGER, key))
    assert Incident.objects.filter(state=IncidentState.DETECTED).count() == 1

    # And what PagerDuty answers to a malformed or unknown key.
    status, body = http_post(url, PAGERDUTY_RESOLVE)
    assert (status, body["errors"]) == (400, ["Length of 'routing_key' is incorrect (should be 32 characters)."])
    status, body = http_post(url, with_key(PAGERDUTY_RESOLVE, "Z" * 32))
    assert (status, body["errors"]) == (400, ["Invalid routing key"])


def test_an_alertmanager_receiver_pointed_at_watchkeeper(site, service, ladder, kicks):
    # Map critical to P2 here: a P1 may only be resolved with an Incident Commander (tested elsewhere), and this
    # test follows the group until Alertmanager resolves it.
    key, url = create_integration("alertmanager", "--name", "Prometheus (prod)")
    from incidents.ingestion.services import integration_update
    from incidents.models import Integration

    integration_update(user=None, integration=Integration.objects.get(), severity_mapping={"critical": "P2"})
    assert url == f"{site}/integrations/alertmanager/"
    bearer = {"Authorization": f"Bearer {key}"}

    status, body = http_post(url, ALERTMANAGER_FIRING, bearer)
    assert status == 200 and body["status"] == "success"
    incident = Incident.objects.get()
    assert body["incident_id"] == incident.pk
    assert (incident.title, incident.severity) == ("BlackBox Probe Failure: https://server.example.org", "P2")
    assert incident.dedup_key == '{}/{severity="critical"}:{alertname="ProbeFailure"}'
    kicks.assert_called_once_with((incident.pk,))
    assert incident_escalate(incident_id=incident.pk) == 1
    assert Page.objects.filter(incident=incident, level=1).exists()

    # Repeat notifications (group_interval, repeat_interval) and a second instance joining the group.
    second = json.loads(ALERTMANAGER_FIRING)
    joined = dict(second["alerts"][0], fingerprint="2b41cb82ddb3a032",
                  labels={**second["alerts"][0]["labels"], "instance": "https://mirror.example.org"})
    second["alerts"].append(joined)
    assert http_post(url, ALERTMANAGER_FIRING, bearer)[0] == 200
    assert http_post(f"{url}{key}/", json.dumps(second))[0] == 200  # the key in the URL, no header
    assert Incident.objects.count() == 1
    assert sorted(Alert.objects.values_list("fingerprint", "action")) == [
        ("1a30ba71cca2921f", "firing"), ("2b41cb82ddb3a032", "firing"),
    ]

    resolved = json.loads(json.dumps(second))
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert.update(status="resolved", endsAt="2026-03-04T12:05:45.828Z")
    assert http_post(url, json.dumps(resolved), bearer)[0] == 200
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.TRANSITION)
    assert entry.note == "Alertmanager reports every alert of the group resolved."
    assert entry.data["integration_name"] == "Prometheus (prod)"
    assert set(Alert.objects.values_list("action", flat=True)) == {"resolved"}

    # A wrong token is refused before anything is read.
    status, body = http_post(url, ALERTMANAGER_FIRING, {"Authorization": "Bearer " + "W" * 32})
    assert (status, body["status"]) == (401, "unauthorized")
