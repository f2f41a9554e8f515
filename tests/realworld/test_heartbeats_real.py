"""Heartbeats with real components: Celery beat schedules the heartbeat sweep every second, a worker runs it
against Redis and PostgreSQL, the missed beat opens an incident that pages the on-call, and a ping over HTTP
resolves it."""

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import HeartbeatMonitor, Incident, IncidentSource, TimelineEntry, TimelineKind
from incidents.services.heartbeats import heartbeat_create
from tests.realworld.harness import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_missed_beat_opens_an_incident_through_beat_and_a_worker_and_a_ping_resolves_it(
    service, on_call, receiver, components
):
    monitor, key = heartbeat_create(user=None, service=service, name="nightly backup",
                                    interval=dt.timedelta(minutes=1), grace=dt.timedelta(0), severity="P2")
    assert Client().get(f"/integrations/heartbeat/{key}/").status_code == 200
    # The job dies: its last ping was two minutes ago (simulated), so the beat is overdue.
    HeartbeatMonitor.objects.filter(pk=monitor.pk).update(next_due_at=timezone.now() - dt.timedelta(seconds=1))
    components("worker")
    components("beat", HEARTBEAT_SWEEP_SECONDS=1)

    incident = wait_for(
        lambda: Incident.objects.filter(source=IncidentSource.HEARTBEAT, dedup_key=monitor.dedup_key).first(),
        timeout=30, message="the heartbeat sweep to open the incident",
    )
    assert incident.title == "Missed heartbeat: nightly backup" and incident.is_open
    # Declared like any incident: level 1 pages the on-call through the outbox.
    wait_for(lambda: receiver.count()[1] >= 1, timeout=20, message="the page at the receiver")
    assert receiver.requests[0].body["data"]["incident_id"] == incident.pk

    assert Client().post(f"/integrations/heartbeat/{key}/").status_code == 200
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION,
                                        data__heartbeat=monitor.pk).exists()
    # The next sweeps (every second) leave the healthy monitor alone.
    time.sleep(2.5)
    assert Incident.objects.filter(dedup_key=monitor.dedup_key).count() == 1
