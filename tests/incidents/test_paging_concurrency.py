"""Real concurrent transactions on PostgreSQL: sweeps, kicked tasks and acknowledgements racing each other
never page a level twice, never lose one, and never page after the acknowledgement won."""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident, Page, PageKind, TimelineEntry, TimelineKind
from incidents.services import incident_acknowledge
from incidents.services.paging import escalations_sweep, incident_escalate, paging_sweep
from oncall.models import Notification, NotificationKind, RotationKind, TeamRole
from oncall.services import escalation_policy_seed_default
from tests.factories import IncidentFactory
from tests.factories.oncall import responder, rotation_with

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
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
        thread.join(timeout=60)
    return results


@pytest.fixture(autouse=True)
def no_broker():
    with mock.patch("incidents.tasks.escalate_incident.apply_async"), \
            mock.patch("oncall.tasks.deliver_notification.apply_async"):
        yield


@pytest.fixture
def on_call(team):
    escalation_policy_seed_default(team=team)
    users = {n: responder(team, r, username=n) for n, r in
             [("pia", TeamRole.ENGINEER), ("sara", TeamRole.ENGINEER), ("lena", TeamRole.LEAD),
              ("mona", TeamRole.MANAGER)]}
    rotation_with(team, [users["pia"]], kind=RotationKind.PRIMARY, name="Primary", start_date=dt.date(2020, 1, 6))
    rotation_with(team, [users["sara"]], kind=RotationKind.SECONDARY, name="Secondary",
                  start_date=dt.date(2020, 1, 6))
    return users


def test_concurrent_sweeps_page_every_due_level_exactly_once(service, on_call):
    long_ago = timezone.now() - dt.timedelta(minutes=61)
    incidents = [IncidentFactory(service=service, severity="P1", detected_at=long_ago) for _ in range(30)]
    results = run_at_once(*[lambda: escalations_sweep(batch_size=7)] * 4)
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(value for _, value in results) == 30 * 5  # every page counted by exactly one sweep
    for incident in incidents:
        levels = list(Page.objects.filter(incident=incident, kind=PageKind.ESCALATION).values_list("level", flat=True))
        assert sorted(levels) == [1, 2, 3, 4, 5]
        assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.PAGE).count() == 5
    keys = list(Notification.objects.filter(kind=NotificationKind.PAGE).values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 30 * 5  # nobody flagged leadership: level 5 pages the manager


def test_a_kicked_task_racing_the_sweep_pages_once(service, on_call):
    for _ in range(5):
        incident = IncidentFactory(service=service, severity="P1")
        results = run_at_once(lambda pk=incident.pk: incident_escalate(incident_id=pk), paging_sweep)
        assert all(kind == "ok" for kind, _ in results), results
        assert list(Page.objects.filter(incident=incident).values_list("level", flat=True)) == [1]


def test_an_acknowledgement_racing_the_sweep_leaves_no_escalation_behind(service, on_call):
    for _ in range(5):
        detected = timezone.now() - dt.timedelta(minutes=6)  # level 2 is due
        incident = IncidentFactory(service=service, severity="P1", detected_at=detected)
        incident_escalate(incident_id=incident.pk, now=detected)  # level 1 went out on time
        results = run_at_once(
            lambda pk=incident.pk: incident_acknowledge(incident=pk, user=on_call["pia"]), escalations_sweep
        )
        assert all(kind == "ok" for kind, _ in results), results
        incident = Incident.objects.get(pk=incident.pk)
        assert incident.state == "acknowledged"
        assert incident.next_escalation_at is None and incident.escalation_ended_at is not None
        levels = list(Page.objects.filter(incident=incident).values_list("level", flat=True))
        assert levels in ([1], [1, 2])  # level 2 either went out before the acknowledgement or not at all
        assert escalations_sweep() == 0
