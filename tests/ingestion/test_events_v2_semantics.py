"""Events API v2 semantics, as PagerDuty documents them: dedup into the open incident, acknowledge and resolve as
the integration, drop what has nothing open, a new incident after resolution, generated keys, severity mapping."""

import json
import uuid

import pytest

from incidents.ingestion.counters import counters_flush
from incidents.models import (
    Alert,
    Incident,
    IncidentGroupObjectPermission,
    IncidentSource,
    IncidentState,
    TimelineEntry,
    TimelineKind,
)
from incidents.services import incident_assign_role, incident_resolve
from tests.factories import ServiceFactory
from tests.ingestion.conftest import action, trigger

pytestmark = pytest.mark.django_db


def test_a_first_trigger_declares_an_incident_as_the_integration(enqueue, routing_key, service, engineer):
    response = enqueue(trigger(routing_key, timestamp="2026-03-04T11:58:00Z", component="postgres", group="db"))
    assert response.status_code == 202
    incident = Incident.objects.get()
    assert incident.service == service
    assert incident.title == "Disk 95% full on db1"
    assert incident.severity == "P2"  # error -> P2
    assert incident.state == IncidentState.DETECTED
    assert incident.source == IncidentSource.INTEGRATION
    assert incident.dedup_key == "disk-full-db1"
    assert incident.declared_by is None
    assert "Source: db1.example.com" in incident.description and "Component: postgres" in incident.description
    assert incident.impact_started_at.isoformat() == "2026-03-04T11:58:00+00:00"
    declared = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.DECLARED)
    assert declared.actor is None and declared.data["source"] == "integration"
    # The team sees it like any incident: the same object permissions as a declared one.
    assert IncidentGroupObjectPermission.objects.filter(content_object=incident).exists()
    assert engineer.has_perm("incidents.view_incident", incident)


def test_the_alert_keeps_the_event_as_received_without_the_routing_key(enqueue, routing_key, events_integration):
    event = trigger(routing_key, custom_details={"ping time": "1500ms", "load avg": 0.75})
    event["links"] = [{"href": "https://example.com/", "text": "Link text"}]
    enqueue(event)
    alert = Alert.objects.get()
    assert alert.integration == events_integration
    assert alert.service_id == events_integration.service_id
    assert (alert.action, alert.severity, alert.dedup_key, alert.fingerprint) == ("trigger", "P2", "disk-full-db1", "")
    assert alert.summary == "Disk 95% full on db1" and alert.source == "db1.example.com"
    assert alert.payload["payload"]["custom_details"] == {"ping time": "1500ms", "load avg": 0.75}
    assert alert.payload["links"] == event["links"]
    assert alert.payload["routing_key"] == "(redacted)"
    assert routing_key not in json.dumps(alert.payload)


def test_triggers_with_the_same_key_add_alerts_to_the_open_incident(enqueue, routing_key):
    for n in range(3):
        assert enqueue(trigger(routing_key, summary=f"Disk {95 + n}% full on db1")).status_code == 202
    incident = Incident.objects.get()
    assert incident.alerts.count() == 3
    assert list(incident.alerts.values_list("summary", flat=True)) == [
        "Disk 95% full on db1", "Disk 96% full on db1", "Disk 97% full on db1",
    ]
    # Duplicates are alerts, not timeline noise.
    assert TimelineEntry.objects.filter(incident=incident).count() == 1


def test_the_same_dedup_key_on_another_service_is_another_incident(enqueue, routing_key, team):
    from incidents.ingestion.services import integration_create

    other = ServiceFactory(team=team, name="Search", slug="search")
    _, other_key = integration_create(user=None, service=other, name="Datadog", kind="events_v2")
    enqueue(trigger(routing_key))
    enqueue(trigger(other_key))
    assert Incident.objects.count() == 2


def test_a_trigger_without_dedup_key_gets_a_generated_one_every_time(enqueue, routing_key):
    first = enqueue(trigger(routing_key, dedup_key=None)).json()["dedup_key"]
    second = enqueue(trigger(routing_key, dedup_key=None)).json()["dedup_key"]
    assert first != second
    uuid.UUID(first)  # a UUID, as PagerDuty's are
    assert set(Incident.objects.values_list("dedup_key", flat=True)) == {first, second}
    # The generated key is the handle for later events.
    assert enqueue(action(routing_key, "acknowledge", first)).status_code == 202
    assert Incident.objects.get(dedup_key=first).state == IncidentState.ACKNOWLEDGED


def test_acknowledge_acts_as_the_integration_and_stops_escalation(enqueue, routing_key):
    enqueue(trigger(routing_key))
    response = enqueue(action(routing_key, "acknowledge"))
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-full-db1"}
    incident = Incident.objects.get()
    assert incident.state == IncidentState.ACKNOWLEDGED
    assert incident.acknowledged_by is None and incident.acknowledged_at is not None
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.TRANSITION)
    assert entry.actor is None
    assert entry.note == "By the integration “Datadog”."
    assert entry.data["integration_name"] == "Datadog"
    assert list(incident.alerts.values_list("action", flat=True)) == ["trigger", "acknowledge"]


def test_a_second_acknowledge_changes_nothing(enqueue, routing_key):
    enqueue(trigger(routing_key))
    enqueue(action(routing_key, "acknowledge"))
    assert enqueue(action(routing_key, "acknowledge")).status_code == 202
    incident = Incident.objects.get()
    assert incident.state == IncidentState.ACKNOWLEDGED
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).count() == 1


def test_resolve_resolves_the_open_incident(enqueue, routing_key):
    enqueue(trigger(routing_key))
    assert enqueue(action(routing_key, "resolve")).status_code == 202
    incident = Incident.objects.get()
    assert incident.state == IncidentState.RESOLVED
    assert incident.next_escalation_at is None
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.TRANSITION)
    assert (entry.from_state, entry.to_state, entry.actor) == ("detected", "resolved", None)


def test_acknowledge_and_resolve_with_nothing_open_are_dropped(enqueue, routing_key):
    for event_action in ("acknowledge", "resolve"):
        response = enqueue(action(routing_key, event_action, "never-triggered"))
        assert response.status_code == 202
        assert response.json()["dedup_key"] == "never-triggered"
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()


def test_after_resolution_the_same_key_opens_a_new_incident(enqueue, routing_key):
    enqueue(trigger(routing_key))
    enqueue(action(routing_key, "resolve"))
    enqueue(trigger(routing_key))
    old, new = Incident.objects.order_by("pk")
    assert old.state == IncidentState.RESOLVED and new.state == IncidentState.DETECTED
    assert old.dedup_key == new.dedup_key == "disk-full-db1"
    assert (old.alerts.count(), new.alerts.count()) == (2, 1)
    # And a resolve after that resolves the new one only.
    enqueue(action(routing_key, "resolve"))
    assert set(Incident.objects.values_list("state", flat=True)) == {IncidentState.RESOLVED}


def test_an_incident_resolved_by_a_person_is_not_reopened_by_a_trigger(enqueue, routing_key, manager):
    enqueue(trigger(routing_key))
    incident_resolve(incident=Incident.objects.get(), user=manager)
    enqueue(trigger(routing_key))
    assert Incident.objects.count() == 2


@pytest.mark.parametrize(("sent", "expected"), [("critical", "P1"), ("error", "P2"), ("warning", "P3"), ("info", "P4")])
def test_default_severity_mapping(enqueue, routing_key, sent, expected):
    enqueue(trigger(routing_key, severity=sent))
    assert Incident.objects.get().severity == expected
    assert Alert.objects.get().severity == expected


def test_the_mapping_is_editable_per_integration(enqueue, routing_key, events_integration):
    from incidents.ingestion.services import integration_update

    integration_update(user=None, integration=events_integration,
                       severity_mapping={"critical": "P2", "error": "P4"}, default_severity="P3")
    enqueue(trigger(routing_key, dedup_key="a", severity="critical"))
    enqueue(trigger(routing_key, dedup_key="b", severity="error"))
    enqueue(trigger(routing_key, dedup_key="c", severity="info"))  # not mapped: the default
    assert dict(Incident.objects.values_list("dedup_key", "severity")) == {"a": "P2", "b": "P4", "c": "P3"}


def test_a_p1_is_not_resolved_without_an_incident_commander_the_note_says_why(enqueue, routing_key, engineer):
    enqueue(trigger(routing_key, severity="critical"))
    enqueue(action(routing_key, "resolve"))
    incident = Incident.objects.get()
    assert incident.state == IncidentState.DETECTED
    note = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.NOTE)
    assert note.note.startswith("The integration “Datadog” asked to resolve, which was not done:")
    assert "Incident Commander" in note.note
    assert incident.alerts.filter(action="resolve").count() == 1
    # With a commander it resolves.
    incident_assign_role(incident=incident, user=engineer, assignee=engineer, role="commander")
    enqueue(action(routing_key, "resolve"))
    assert Incident.objects.get().state == IncidentState.RESOLVED


def test_a_long_summary_is_the_title_cut_and_the_description_whole(enqueue, routing_key):
    summary = "Replication lag " + "x" * 600
    enqueue(trigger(routing_key, summary=summary))
    incident = Incident.objects.get()
    assert len(incident.title) == 255 and incident.title.endswith("…")
    assert incident.description.startswith(summary)


def test_a_timestamp_ahead_of_our_clock_is_not_the_impact_start(enqueue, routing_key):
    enqueue(trigger(routing_key, timestamp="2099-01-01T00:00:00Z"))
    assert Incident.objects.get().impact_started_at is None


def test_a_nul_escape_in_the_event_is_stored(enqueue, routing_key):
    event = trigger(routing_key, custom_details={"raw": "a\u0000b"})
    assert enqueue(event).status_code == 202
    assert Alert.objects.get().payload["payload"]["custom_details"]["raw"] == "a\ufffdb"


def test_an_inactive_service_refuses_events(enqueue, routing_key, service):
    service.is_active = False
    service.save()
    response = enqueue(trigger(routing_key))
    assert response.status_code == 400
    assert response.json()["errors"] == ["The service of this integration is inactive."]
    assert not Incident.objects.exists()


def test_events_are_counted_on_the_integration(enqueue, routing_key, events_integration):
    enqueue(trigger(routing_key))
    enqueue(trigger(routing_key))
    enqueue(action(routing_key, "resolve", "nothing-open"))  # received, dropped: still an event
    enqueue(trigger(routing_key, severity="loud"))  # invalid: not counted
    counters_flush()
    events_integration.refresh_from_db()
    assert events_integration.events_received == 3
    assert events_integration.last_event_at is not None
