"""Real concurrent requests on PostgreSQL: simultaneous first triggers of one key open exactly one incident, and
every event answered 202 is stored — on the first-alert path (incident_declare) and on the storm path (the single
statement in autocommit mode, prepared, committed without waiting for the WAL flush)."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from incidents.ingestion import writes
from incidents.models import OPEN_STATES, Alert, Incident, IncidentState
from tests.ingestion.conftest import ENQUEUE, action, am_alert, notification, trigger

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(calls) -> list:
    """Run each call in its own thread (own client, own DB connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def post(event) -> int:
    return Client().post(ENQUEUE, data=json.dumps(event), content_type="application/json").status_code


def test_eight_simultaneous_first_triggers_open_one_incident_and_store_eight_alerts(routing_key):
    for round_ in range(3):  # a race that passes once by luck should not pass three times
        key = f"db-cpu-{round_}"
        statuses = at_once([lambda n=n, k=key: post(trigger(routing_key, k, summary=f"CPU {n}")) for n in range(8)])
        assert statuses == [202] * 8
        incident = Incident.objects.get(dedup_key=key)
        assert incident.alerts.count() == 8
        assert sorted(incident.alerts.values_list("summary", flat=True)) == [f"CPU {n}" for n in range(8)]


def test_a_storm_on_an_open_incident_stores_every_event(routing_key):
    assert post(trigger(routing_key, "storm")) == 202
    statuses = at_once([
        lambda n=n: [post(trigger(routing_key, "storm", summary=f"{n}-{i}")) for i in range(15)] for n in range(8)
    ])
    assert statuses == [[202] * 15] * 8
    assert Incident.objects.count() == 1
    assert Alert.objects.count() == 1 + 8 * 15


def test_triggers_racing_a_resolve_never_leave_two_open_incidents_and_lose_nothing(routing_key):
    for round_ in range(3):
        key = f"flapping-{round_}"
        assert post(trigger(routing_key, key)) == 202
        calls = [lambda k=key: post(action(routing_key, "resolve", k))]
        calls += [lambda n=n, k=key: post(trigger(routing_key, k, summary=f"again {n}")) for n in range(6)]
        assert at_once(calls) == [202] * 7
        incidents = Incident.objects.filter(dedup_key=key)
        assert incidents.filter(state__in=OPEN_STATES).count() <= 1
        assert incidents.filter(state=IncidentState.RESOLVED).count() == 1
        triggers = Alert.objects.filter(dedup_key=key, action="trigger").count()
        assert triggers == 7  # the first and the six racing ones, each on whichever incident was open


def test_simultaneous_first_notifications_of_a_group_open_one_incident(am_integration):
    def send(fingerprint):
        body = json.dumps(notification(alerts=[am_alert(fingerprint)]))
        return Client().post("/integrations/alertmanager/", data=body, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {am_integration.key}").status_code

    assert at_once([lambda n=n: send(f"fp{n}") for n in range(8)]) == [200] * 8
    incident = Incident.objects.get()
    assert incident.alerts.count() == 8


def test_the_storm_statement_leaves_the_sessions_durability_alone(routing_key, events_integration):
    assert post(trigger(routing_key, "k")) == 202  # declares (durable path)
    incident = Incident.objects.get()
    row = writes.AlertRow(received_at=incident.detected_at, dedup_key="k", action="trigger", summary="s", payload={})
    for _ in range(3):
        assert writes.alerts_add_to_open_incident(
            service_id=incident.service_id, integration_id=events_integration.pk, dedup_key="k", rows=[row]
        ) == incident.pk
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
        assert len(prepared) == 1 and "INSERT INTO \"incidents_alert\"" in prepared[0]


def test_prepared_statements_lost_by_a_pooler_are_prepared_again(routing_key, events_integration):
    assert post(trigger(routing_key, "k")) == 202
    incident = Incident.objects.get()
    row = writes.AlertRow(received_at=incident.detected_at, dedup_key="k", action="trigger", summary="s", payload={})
    add = lambda: writes.alerts_add_to_open_incident(  # noqa: E731
        service_id=incident.service_id, integration_id=events_integration.pk, dedup_key="k", rows=[row]
    )
    assert add() == incident.pk
    # What a pooler's reset (DISCARD ALL) does, behind psycopg's back: libpq directly, so psycopg still believes
    # the statement is prepared on this session.
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")
    assert add() == incident.pk
    assert incident.alerts.count() == 3


def test_a_dead_connection_is_replaced_without_failing_the_event(routing_key, events_integration):
    assert post(trigger(routing_key, "k")) == 202
    incident = Incident.objects.get()
    row = writes.AlertRow(received_at=incident.detected_at, dedup_key="k", action="trigger", summary="s", payload={})
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    assert writes.alerts_add_to_open_incident(
        service_id=incident.service_id, integration_id=events_integration.pk, dedup_key="k", rows=[row]
    ) == incident.pk
    assert connection.connection.info.backend_pid != pid
