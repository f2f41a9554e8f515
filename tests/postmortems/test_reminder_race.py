"""Real concurrent sweeps on PostgreSQL: two beat runs at once still write each reminder exactly once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from oncall.models import Notification
from postmortems.services import (
    action_items_remind_overdue,
    action_items_send_weekly_digest,
    postmortems_remind_review_overdue,
)
from tests.factories.postmortems import ActionItemFactory, draft_for, resolved_incident

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MONDAY = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)


def run_at_once(*calls):
    """Each call in its own thread (own connection), released together by a barrier."""
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


@pytest.fixture
def overdue(service, engineer, engineer2, manager):
    """Two stale drafts with 40 overdue action items between them."""
    drafts = []
    for owner in (engineer, engineer2):
        incident = resolved_incident(service=service, user=owner)
        drafts.append(draft_for(incident, resolver=owner, review_due_at=MONDAY - dt.timedelta(days=1)))
    items = [
        ActionItemFactory(postmortem=drafts[n % 2], owner=(engineer, engineer2)[n % 2],
                          due_date=MONDAY.date() - dt.timedelta(days=1 + n % 5))
        for n in range(40)
    ]
    Notification.objects.all().delete()
    return drafts, items


@pytest.mark.parametrize("batch_size", [3, 200])
def test_two_overdue_sweeps_at_once_remind_each_item_once_per_day(overdue, batch_size):
    _, items = overdue
    for day in range(3):
        moment = MONDAY + dt.timedelta(days=day)
        with time_machine.travel(moment, tick=False):
            results = run_at_once(
                lambda: action_items_remind_overdue(batch_size=batch_size),
                lambda: action_items_remind_overdue(batch_size=batch_size),
            )
        assert all(kind == "ok" for kind, _ in results), results
        assert sum(count for _, count in results) == len(items)  # each item claimed by exactly one sweep
        for item in items:
            key = f"postmortems:action-item:{item.pk}:overdue:{moment.date().isoformat()}:email"
            assert Notification.objects.filter(idempotency_key=key).count() == 1
        assert Notification.objects.count() == len(items) * (day + 1)


def test_two_review_sweeps_at_once_remind_each_draft_once(overdue):
    drafts, _ = overdue
    with time_machine.travel(MONDAY, tick=False):
        results = run_at_once(postmortems_remind_review_overdue, postmortems_remind_review_overdue,
                              postmortems_remind_review_overdue)
    assert sorted(count for _, count in results) in ([0, 0, 2], [0, 1, 1]), results
    assert Notification.objects.count() == len(drafts)


def test_two_digest_sweeps_at_once_write_one_digest_per_manager(overdue, manager):
    with time_machine.travel(MONDAY, tick=False):
        results = run_at_once(action_items_send_weekly_digest, action_items_send_weekly_digest)
    assert all(kind == "ok" for kind, _ in results), results
    assert list(Notification.objects.values_list("recipient", flat=True)) == [manager.pk]
