"""Real concurrent transactions on PostgreSQL: two people acting at once can never both win."""

import threading

import pytest
from django.db import connection

from config.errors import ConflictError
from incidents.models import Incident, IncidentState, TimelineEntry, TimelineKind
from incidents.services import incident_acknowledge, incident_declare
from tests.factories import IncidentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
    """Run each call in its own thread (own DB connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # collected and asserted on by the test
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_simultaneous_acknowledgements_exactly_one_wins(incident, engineer, engineer2):
    for _ in range(5):  # repeat: a race that passes once by luck should not pass five times
        fresh = Incident.objects.get(pk=incident.pk)
        results = run_at_once(
            lambda pk=fresh.pk: incident_acknowledge(incident=pk, user=engineer),
            lambda pk=fresh.pk: incident_acknowledge(incident=pk, user=engineer2),
        )
        outcomes = sorted(kind for kind, _ in results)
        assert outcomes == ["error", "ok"], results
        error = next(value for kind, value in results if kind == "error")
        assert isinstance(error, ConflictError)
        winner = Incident.objects.get(pk=incident.pk)
        assert winner.state == IncidentState.ACKNOWLEDGED
        assert f"already acknowledged by {winner.acknowledged_by.get_full_name()}" in error.message
        assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).count() == 1
        incident = IncidentFactory(service=winner.service)  # a fresh one for the next round


def test_two_incidents_racing_on_one_dedup_key_become_one(service):
    calls = [
        (lambda n=n: incident_declare(service=service, title=f"alert {n}", severity="P2", dedup_key="db-cpu"))
        for n in range(4)
    ]
    results = run_at_once(*calls)
    assert all(kind == "ok" for kind, _ in results), results
    incidents = {value[0].pk for _, value in results}
    assert len(incidents) == 1
    assert sum(1 for _, value in results if value[1]) == 1  # exactly one created it
    assert Incident.objects.filter(service=service, dedup_key="db-cpu").count() == 1
    assert TimelineEntry.objects.filter(kind=TimelineKind.DEDUPLICATED).count() == 3
