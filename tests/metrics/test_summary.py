"""The headline table: each metric's value against the guide's target, met or not; and the window rules."""

import datetime as dt

import pytest

from config.errors import ApplicationError
from incidents.metrics import metrics_all
from incidents.metrics.scope import NotInScope, metric_scope
from incidents.metrics.summary import format_seconds
from oncall.models import Team
from tests.metrics.conftest import NOW, SINCE, UNTIL, scope_of

pytestmark = pytest.mark.django_db


def test_headlines_state_each_target_and_whether_it_is_met(world, team):
    rows = {row["key"]: row for row in metrics_all(scope_of(team))["headlines"]}

    expected = {
        "mtta_p1": (420, "< 5 min", "not_met"),
        "mtta_p2": (580, "< 15 min", "met"),
        "mtti_p1": (1800, "< 30 min", "not_met"),  # exactly 30 minutes is not under 30 minutes
        "mtti_p2": (1200, "< 2 h", "met"),
        "mttr_p1": (5100, "< 1 h", "not_met"),
        "mttr_p2": (2700, "< 4 h", "met"),
        "mtbf": (268.8, "> 720 h (30 days)", "not_met"),
        "ack_sla": (4 / 6, "100 % within the severity's target", "not_met"),
        "recurrence": (0.6, "< 10 %", "not_met"),
        "action_items": (1 / 3, "> 90 %", "not_met"),
        "runbooks": (0.5, "100 %", "not_met"),
        "alert_volume": (1.5, "< 20 a week", "met"),
        "false_positives": (1 / 6, "< 20 %", "met"),
        "after_hours": (0.75, "< 5 a week", "met"),
        "pages_per_shift": (0.75, "< 20 per week of shift", "met"),
    }
    for key, (value, target, status) in expected.items():
        assert (rows[key]["value"], rows[key]["target"], rows[key]["status"]) == (pytest.approx(value), target,
                                                                                   status), key
    assert rows["mtta"]["target"] is None and rows["mtta"]["status"] is None  # all severities: no guide target
    assert rows["mtta_p1"]["display"] == "7 min"
    assert rows["mtta_p1"]["median_display"] == "7 min" and rows["mtta_p1"]["p90_display"] == "9 min 24 s"
    assert rows["recurrence"]["display"] == "60 %"


def test_a_severity_filter_shows_that_severitys_response_times(world, team):
    keys = [row["key"] for row in metrics_all(scope_of(team, severity="P3"))["headlines"]]

    assert keys[:3] == ["mtta_p3", "mtti_p3", "mttr_p3"]


def test_without_incidents_times_and_rates_have_no_data_and_counts_are_zero(team):
    rows = {row["key"]: row for row in metrics_all(scope_of(team))["headlines"]}

    counted = {"alert_volume", "after_hours"}
    assert {row["status"] for key, row in rows.items() if row["target"] and key not in counted} == {"no_data"}
    assert [(rows[key]["value"], rows[key]["status"]) for key in sorted(counted)] == [(0, "met"), (0, "met")]


def test_all_metrics_take_a_constant_number_of_queries(world, team, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        metrics_all(scope_of(team))


@pytest.mark.parametrize(("since", "until", "field"), [
    (UNTIL, SINCE, "until"),
    (SINCE, SINCE, "until"),
    (dt.date(2020, 1, 1), dt.date(2026, 1, 1), "since"),
    (dt.datetime(2026, 3, 1), None, "since"),  # no time zone
    (dt.datetime(1969, 12, 31, tzinfo=dt.UTC), None, "since"),
])
def test_bad_windows_are_refused(team, since, until, field):
    with pytest.raises(ApplicationError) as refused:
        metric_scope(teams=Team.objects.all(), since=since, until=until, now=NOW)

    assert refused.value.field == field


def test_the_default_window_is_the_last_30_days(team):
    scope = metric_scope(teams=Team.objects.all(), now=NOW)

    assert (scope.since, scope.until) == (NOW - dt.timedelta(days=30), NOW)


def test_dates_mean_midnight_utc(team):
    scope = metric_scope(teams=Team.objects.all(), since=dt.date(2026, 3, 2), until=dt.date(2026, 3, 30), now=NOW)

    assert (scope.since, scope.until) == (SINCE, UNTIL)
    assert scope.weeks == [dt.date(2026, 3, d) for d in (2, 9, 16, 23)]


def test_teams_and_services_outside_the_scope_are_not_found(team, other_team, other_service):
    mine = Team.objects.filter(pk=team.pk)

    with pytest.raises(NotInScope):
        metric_scope(teams=mine, team="search", now=NOW)
    with pytest.raises(NotInScope):
        metric_scope(teams=mine, service="search-api", now=NOW)
    with pytest.raises(ApplicationError):
        metric_scope(teams=mine, severity="P9", now=NOW)


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "—"), (45, "45 s"), (270, "4 min 30 s"), (3600, "1 h"), (7500, "2 h 5 min"), (273600, "3 d 4 h"),
])
def test_durations_read_like_a_person_writes_them(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.postgres  # the side connection is PostgreSQL's (exported snapshots)
@pytest.mark.django_db(transaction=True)
def test_the_side_connection_answers_what_one_connection_does(world, team):
    """Outside a transaction PostgreSQL computes recurrence and page load on a second connection, in the same
    snapshot: the answers are those of computing everything on one connection. (The data are committed here:
    the second connection would not see a test's open transaction.)"""
    for scope in (scope_of(team), scope_of()):
        assert metrics_all(scope, side_connection=True) == metrics_all(scope, side_connection=False)


@pytest.mark.postgres  # the side connection is PostgreSQL's (exported snapshots)
@pytest.mark.django_db(transaction=True)
def test_without_a_second_connection_everything_runs_on_one(world, team, monkeypatch):
    from django.db import OperationalError

    from incidents.metrics import summary

    def refused(snapshot, work):
        raise OperationalError("too many clients already")

    expected = metrics_all(scope_of(team), side_connection=False)
    monkeypatch.setattr(summary, "_in_snapshot", refused)
    assert metrics_all(scope_of(team)) == expected
