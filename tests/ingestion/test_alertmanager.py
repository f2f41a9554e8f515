"""Alertmanager webhooks: one incident per open group, one alert row per fingerprint, the incident resolved when
Alertmanager reports the group resolved; severity from the `severity` label, title from `summary` or the name."""

import pytest

from incidents.models import Alert, Incident, IncidentSource, IncidentState, TimelineEntry, TimelineKind
from incidents.services import incident_resolve
from tests.ingestion.conftest import am_alert, notification

pytestmark = pytest.mark.django_db


def test_a_firing_group_opens_one_incident(alertmanager, service, am_integration):
    body = notification(alerts=[am_alert("a1"), am_alert("b2")])
    response = alertmanager(body)
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert response.json() == {
        "status": "success", "message": "Notification processed", "dedup_key": body["groupKey"],
        "incident_id": incident.pk,
    }
    assert incident.service == service and incident.source == IncidentSource.INTEGRATION
    assert incident.dedup_key == '{}:{alertname="HighLatency"}'
    assert incident.title == "HighLatency"
    assert incident.severity == "P3"  # warning -> P3
    assert incident.impact_started_at.isoformat() == "2026-03-04T11:55:00+00:00"
    assert "Alertmanager: http://alertmanager.example.com:9093" in incident.description
    alerts = Alert.objects.order_by("fingerprint")
    assert [(a.fingerprint, a.action, a.integration_id) for a in alerts] == [
        ("a1", "firing", am_integration.pk), ("b2", "firing", am_integration.pk),
    ]
    assert alerts[0].payload["labels"]["instance"] == "a1:9100"
    assert alerts[0].source == "a1:9100"


def test_repeated_notifications_update_one_alert_per_fingerprint(alertmanager):
    alertmanager(notification(alerts=[am_alert("a1")]))
    first = Alert.objects.get()
    alertmanager(notification(alerts=[am_alert("a1"), am_alert("b2")]))
    alertmanager(notification(alerts=[am_alert("a1"), am_alert("b2")]))
    assert Incident.objects.count() == 1
    assert Alert.objects.count() == 2
    again = Alert.objects.get(fingerprint="a1")
    assert again.pk == first.pk
    assert again.received_at == first.received_at  # when it first came
    assert again.last_received_at >= first.last_received_at


def test_groups_are_separate_incidents(alertmanager):
    alertmanager(notification(group="HighLatency"))
    alertmanager(notification(group="DiskFull", alerts=[am_alert("d1", alertname="DiskFull")]))
    assert Incident.objects.count() == 2


def test_the_incident_resolves_when_the_whole_group_is_resolved(alertmanager):
    alertmanager(notification(alerts=[am_alert("a1"), am_alert("b2")]))
    # One alert resolved, the other still firing: the group is still firing.
    alertmanager(notification(alerts=[am_alert("a1", status="resolved"), am_alert("b2")]))
    incident = Incident.objects.get()
    assert incident.state == IncidentState.DETECTED
    assert dict(Alert.objects.values_list("fingerprint", "action")) == {"a1": "resolved", "b2": "firing"}
    # Every alert resolved: Alertmanager sends status "resolved" for the group.
    both_resolved = [am_alert("a1", status="resolved"), am_alert("b2", status="resolved")]
    alertmanager(notification("resolved", alerts=both_resolved))
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.TRANSITION)
    assert entry.actor is None and entry.to_state == "resolved"
    assert entry.note == "Alertmanager reports every alert of the group resolved."
    assert entry.data["integration_name"] == "Prometheus"
    assert set(Alert.objects.values_list("action", flat=True)) == {"resolved"}


def test_alerts_left_out_of_a_resolved_notification_are_resolved_too(alertmanager):
    alertmanager(notification(alerts=[am_alert("a1"), am_alert("b2"), am_alert("c3")]))
    # max_alerts: 1 — Alertmanager sends one alert and says how many it left out.
    alertmanager(notification("resolved", alerts=[am_alert("a1", status="resolved")], truncatedAlerts=2))
    assert Incident.objects.get().state == IncidentState.RESOLVED
    assert set(Alert.objects.values_list("action", flat=True)) == {"resolved"}


def test_the_group_fires_again_after_resolution_as_a_new_incident(alertmanager):
    alertmanager(notification())
    alertmanager(notification("resolved", alerts=[am_alert("a1", status="resolved")]))
    alertmanager(notification())
    old, new = Incident.objects.order_by("pk")
    assert (old.state, new.state) == (IncidentState.RESOLVED, IncidentState.DETECTED)
    assert (old.alerts.count(), new.alerts.count()) == (1, 1)


def test_a_resolved_notification_with_nothing_open_is_dropped(alertmanager, manager):
    response = alertmanager(notification("resolved", alerts=[am_alert("a1", status="resolved")]))
    assert response.status_code == 200 and response.json()["incident_id"] is None
    assert not Incident.objects.exists() and not Alert.objects.exists()
    # Also when a person resolved it first.
    alertmanager(notification())
    incident_resolve(incident=Incident.objects.get(), user=manager)
    alertmanager(notification("resolved", alerts=[am_alert("a1", status="resolved")]))
    assert TimelineEntry.objects.filter(kind=TimelineKind.TRANSITION).count() == 1


def test_severity_is_the_worst_of_the_firing_alerts_severity_labels(alertmanager):
    alertmanager(notification(alerts=[am_alert("a1", severity="warning"), am_alert("b2", severity="critical"),
                                      am_alert("c3", severity="critical", status="resolved")]))
    incident = Incident.objects.get()
    assert incident.severity == "P1"
    assert dict(Alert.objects.values_list("fingerprint", "severity")) == {"a1": "P3", "b2": "P1", "c3": "P1"}


def test_severity_mapping_is_per_integration_and_unknown_labels_take_the_default(alertmanager, am_integration):
    from incidents.ingestion.services import integration_update

    integration_update(user=None, integration=am_integration, severity_mapping={"page": "P1", "ticket": "P4"},
                       default_severity="P2")
    alertmanager(notification(group="A", alerts=[am_alert("a1", severity="page")]))
    alertmanager(notification(group="B", alerts=[am_alert("b1", severity="whatever")]))
    alertmanager(notification(group="C", alerts=[am_alert("c1", severity="ticket")]))
    assert sorted(Incident.objects.values_list("severity", flat=True)) == ["P1", "P2", "P4"]


def test_title_from_the_summary_annotation(alertmanager):
    alertmanager(notification(alerts=[am_alert("a1", summary="p99 latency above 1 s on checkout")]))
    assert Incident.objects.get().title == "p99 latency above 1 s on checkout"
    alertmanager(notification(group="G2", commonAnnotations={"summary": "Common summary"},
                              alerts=[am_alert("b1", summary="Own summary")]))
    assert Incident.objects.get(dedup_key__contains="G2").title == "Common summary"


def test_a_notification_without_fingerprints_gets_them_from_the_labels(alertmanager):
    alert = am_alert("x")
    del alert["fingerprint"]
    alertmanager(notification(alerts=[alert]))
    alertmanager(notification(alerts=[dict(alert)]))
    assert Alert.objects.count() == 1
    assert len(Alert.objects.get().fingerprint) == 16


def test_a_very_long_group_key_is_hashed_into_the_dedup_key(alertmanager):
    labels = {f"label{n}": "v" * 20 for n in range(20)}
    body = notification(groupKey="{}:{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}")
    alertmanager(body)
    alertmanager(body)
    incident = Incident.objects.get()
    assert incident.dedup_key.startswith("groupKey:sha256:") and len(incident.dedup_key) <= 255
    assert incident.alerts.count() == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": "3"}, "'version' must be \"4\" (Alertmanager's webhook format)."),
        ({"groupKey": ""}, "'groupKey' is missing or blank."),
        ({"status": "pending"}, "'status' must be firing or resolved."),
        ({"alerts": []}, "'alerts' must be a non-empty array."),
        ({"alerts": "a1"}, "'alerts' must be a non-empty array."),
        ({"alerts": ["a1"]}, "'alerts[0]' must be an object."),
        ({"commonLabels": {"n": 1}}, "'commonLabels' must be an object of strings."),
        ({"truncatedAlerts": -1}, "'truncatedAlerts' must be a whole number."),
        ({"receiver": 5}, "'receiver' must be a string."),
    ],
)
def test_invalid_notifications_name_the_problem(alertmanager, change, expected):
    response = alertmanager(notification(**change))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid notification" and expected in body["errors"]
    assert not Incident.objects.exists()


def test_invalid_alerts_are_named_by_index(alertmanager):
    bad = am_alert("a1", status="pending")
    bad["labels"] = {"alertname": 5}
    response = alertmanager(notification(alerts=[am_alert("ok"), bad]))
    assert response.json()["errors"] == [
        "'alerts[1].status' must be firing or resolved.", "'alerts[1].labels' must be an object of strings.",
    ]


def test_a_body_that_is_not_json(alertmanager):
    response = alertmanager(None, raw=b"<xml/>")
    assert response.status_code == 400 and response.json()["errors"] == ["The request body is not valid JSON."]


def test_the_key_in_the_url_works_for_senders_without_headers(alertmanager):
    response = alertmanager(notification(), in_url=True)
    assert response.status_code == 200
    assert Incident.objects.count() == 1


def test_a_missing_or_wrong_bearer_token_is_401(sender, alertmanager):
    import json

    response = sender.post("/integrations/alertmanager/", data=json.dumps(notification()),
                           content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert alertmanager(notification(), key="B" * 32).status_code == 401
    assert not Incident.objects.exists()


def test_a_wrong_key_in_the_url_is_404(alertmanager):
    assert alertmanager(notification(), key="C" * 32, in_url=True).status_code == 404


def test_an_events_v2_key_is_not_an_alertmanager_key(alertmanager, routing_key):
    assert alertmanager(notification(), key=routing_key).status_code == 401


def test_the_exact_documented_example_payload(alertmanager):
    """The sample v4 payload of the alertmanager-webhook-types crate, itself taken from a real Alertmanager."""
    body = {
        "receiver": "sms",
        "status": "firing",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "ProbeFailure", "instance": "https://server.example.org", "job": "http_checks",
                       "monitor": "master", "severity": "critical"},
            "annotations": {"description": "Instance https://server.example.org has been down for over 5m. Job: "
                            "http_checks", "summary": "BlackBox Probe Failure: https://server.example.org"},
            "startsAt": "2023-02-06T13:08:45.828Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0\\u0026g0.tab=1",
            "fingerprint": "1a30ba71cca2921f",
        }],
        "groupLabels": {"alertname": "ProbeFailure"},
        "commonLabels": {"alertname": "ProbeFailure", "instance": "https://server.example.org", "job": "http_checks",
                         "monitor": "master", "severity": "critical"},
        "commonAnnotations": {"description": "Instance https://server.example.org has been down for over 5m. Job: "
                              "http_checks", "summary": "BlackBox Probe Failure: https://server.example.org"},
        "externalURL": "http://prometheus.example.org:9093",
        "version": "4",
        "groupKey": '{}/{severity="critical"}:{alertname="ProbeFailure"}',
        "truncatedAlerts": 0,
    }
    assert alertmanager(body).status_code == 200
    incident = Incident.objects.get()
    assert (incident.title, incident.severity) == ("BlackBox Probe Failure: https://server.example.org", "P1")
    assert incident.description.startswith("Instance https://server.example.org has been down")
