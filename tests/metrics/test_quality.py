"""Recurrence (90-day window, inclusive), action-item completion and runbook coverage against hand-computed
values from the fixture."""

import datetime as dt

import pytest

from incidents.metrics import quality
from tests.metrics.conftest import MIN, alert, at, make_incident, scope_of

pytestmark = pytest.mark.django_db


def test_recurrence_counts_incidents_with_the_same_key_within_90_days(world, team):
    result = quality.recurrence(scope_of(team))

    # A (after Z), C (after B) and F (after A; E is a false alarm and does not count) of A B C D F.
    assert (result["recurring"], result["incidents"]) == (3, 5)
    assert result["rate"] == pytest.approx(0.6)
    assert result["top"] == [
        {"service": "checkout-api", "dedup_key": "db-pool", "incidents": 2},
        {"service": "checkout-api", "dedup_key": "latency", "incidents": 1},
    ]


@pytest.mark.parametrize(("gap", "recurs"), [
    (dt.timedelta(days=90), True),
    (dt.timedelta(days=90, seconds=1), False),
    (dt.timedelta(days=89, hours=23), True),
])
def test_the_recurrence_window_is_90_days_inclusive(service, gap, recurs):
    second = at(3, 20, 12)
    make_incident(service, "P2", second - gap, ack=MIN, resolved=2 * MIN, dedup_key="disk-full")
    make_incident(service, "P2", second, ack=MIN, resolved=2 * MIN, dedup_key="disk-full")

    result = quality.recurrence(scope_of(service.team))

    assert result["incidents"] == 1
    assert result["recurring"] == (1 if recurs else 0)


def test_recurrence_needs_the_same_service(service, team):
    from tests.factories import ServiceFactory

    other = ServiceFactory(team=team, slug="other-api")
    make_incident(other, "P2", at(3, 1), dedup_key="disk-full")
    make_incident(service, "P2", at(3, 20), dedup_key="disk-full")

    assert quality.recurrence(scope_of(team))["recurring"] == 0


def test_recurrence_by_alertmanager_fingerprint(service):
    """Different groups (dedup keys) whose alerts share a fingerprint: the same problem again."""
    first = make_incident(service, "P2", at(3, 3), dedup_key="group-a")
    again = make_incident(service, "P2", at(3, 20), dedup_key="group-b")
    unrelated = make_incident(service, "P2", at(3, 21), dedup_key="group-c")
    alert(first, at(3, 3), action="firing", fingerprint="f1")
    alert(again, at(3, 20), action="firing", fingerprint="f1")
    alert(unrelated, at(3, 21), action="firing", fingerprint="f2")

    result = quality.recurrence(scope_of(service.team))

    assert (result["recurring"], result["incidents"]) == (1, 3)


def test_action_item_completion_is_done_by_the_due_date_over_all_due(world, team):
    result = quality.action_items(scope_of(team))

    # Due in March: on time, late, not done (won't do left out; April's not due yet).
    assert result["completion"] == {"due": 3, "done_on_time": 1, "done_late": 1, "not_done": 1,
                                    "rate": pytest.approx(1 / 3)}
    assert result["overdue_by_team"] == [{"team": "payments", "team_name": "Payments", "overdue": 1, "open": 2}]


def test_overdue_action_items_list_every_team_in_scope(world):
    overdue = quality.action_items(scope_of())["overdue_by_team"]

    assert [(row["team"], row["overdue"]) for row in overdue] == [("payments", 1), ("search", 0)]


def test_runbook_coverage_is_reviewed_in_30_days_over_active_services(world, team):
    result = quality.runbook_coverage(scope_of(team))

    assert (result["reviewed"], result["active_services"], result["coverage"]) == (1, 2, 0.5)
    assert [row["service"] for row in result["stale"]] == ["payments-db"]


def test_quality_without_incidents(team):
    scope = scope_of(team)

    assert quality.recurrence(scope)["rate"] is None
    assert quality.action_items(scope)["completion"]["rate"] is None
    assert quality.runbook_coverage(scope)["coverage"] is None
