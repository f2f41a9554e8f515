"""Real concurrent transactions on PostgreSQL: sweeps racing each other open one incident per missed heartbeat,
and a ping racing the sweep never leaves the incident open."""

import datetime as dt
from unittest import mock

import pytest

from incidents.models import Incident, IncidentSource
from incidents.services.heartbeats import heartbeat_create, heartbeat_ping, heartbeats_sweep
from tests.incidents.test_paging_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def no_broker():
    with mock.patch("incidents.tasks.escalate_incident.apply_async"), \
            mock.patch("oncall.tasks.deliver_notification.apply_async"):
        yield


def test_four_sweeps_at_once_open_one_incident_per_monitor(service):
    monitors = [heartbeat_create(user=None, service=service, name=f"job {i}", interval=5 * MIN, now=T0)[0]
                for i in range(6)]
    results = run_at_once(*[lambda: heartbeats_sweep(now=T0 + 10 * MIN, batch_size=2)] * 4)
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(count for _, count in results) == 6  # each monitor taken by exactly one sweep
    incidents = Incident.objects.filter(source=IncidentSource.HEARTBEAT)
    assert incidents.count() == 6
    assert sorted(incidents.values_list("dedup_key", flat=True)) == sorted(m.dedup_key for m in monitors)


def test_a_ping_racing_the_sweep_never_leaves_an_incident_open(service):
    for attempt in range(5):
        monitor, key = heartbeat_create(user=None, service=service, name=f"race {attempt}", interval=5 * MIN,
                                        now=T0)
        results = run_at_once(lambda: heartbeats_sweep(now=T0 + 10 * MIN),
                              lambda key=key: heartbeat_ping(key=key, now=T0 + 10 * MIN))
        assert all(kind == "ok" for kind, _ in results), results
        monitor.refresh_from_db()
        open_ones = Incident.objects.filter(dedup_key=monitor.dedup_key, state__in=["detected", "acknowledged"])
        # Either the ping came first (no incident at all), or the sweep did and the ping resolved it.
        assert not open_ones.exists() and monitor.incident_id is None
