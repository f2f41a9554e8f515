"""MTTA, MTTI, MTTR (mean, median, p90), the acknowledgement SLA and MTBF against values worked out by hand from
the fixture (tests/metrics/conftest.py). Percentiles interpolate like PostgreSQL's percentile_cont."""

import datetime as dt

import pytest

from incidents.metrics import response
from incidents.metrics.aggregates import grouped_stats
from incidents.metrics.response import _durations
from incidents.models import Incident
from tests.metrics.conftest import MIN, NOW, SINCE, at, make_incident, scope_of

pytestmark = pytest.mark.django_db


def stats(mean, median, p90, count):
    return {"mean": pytest.approx(mean), "median": pytest.approx(median), "p90": pytest.approx(p90), "count": count}


def test_response_times_overall_match_the_hand_computed_values(world, team):
    overall = response.response_times(scope_of(team))["overall"]

    assert overall["incidents"] == 6 and overall["false_alarms"] == 1 and overall["open"] == 1
    assert overall["mtta"] == stats(730, 480, 1500, 6)  # 240 600 360 1200 1800 180
    assert overall["mtti"] == stats(1500, 1500, 2220, 4)  # 1200 2400 1800 600; none for the false alarm
    assert overall["mttr"] == stats(3900, 3300, 6120, 4)  # 3000 7200 3600 1800


def test_open_incidents_and_false_alarms_are_left_out_of_mttr(world, team):
    by_severity = {row["severity"]: row for row in response.response_times(scope_of(team))["by_severity"]}

    assert by_severity["P2"]["mttr"] == stats(2700, 2700, 3420, 2)  # C and F; D is still open
    assert by_severity["P3"]["mtta"]["count"] == 1  # the false alarm was acknowledged…
    assert by_severity["P3"]["mttr"] == stats(None, None, None, 0)  # …but is not a recovery


def test_response_times_per_severity(world, team):
    rows = response.response_times(scope_of(team))["by_severity"]

    assert [row["severity"] for row in rows] == ["P1", "P2", "P3", "P4"]
    p1, p2, _, p4 = rows
    assert p1["mtta"] == stats(420, 420, 564, 2)
    assert p1["mttr"] == stats(5100, 5100, 6780, 2)
    assert p2["mtta"] == stats(580, 360, 1032, 3)
    assert p1["ack_sla"] == {"met": 1, "decided": 2, "share": 0.5}
    assert p2["ack_sla"] == {"met": 2, "decided": 3, "share": pytest.approx(2 / 3)}
    assert p4["incidents"] == 0 and p4["mtta"]["mean"] is None


def test_the_ack_sla_share_counts_met_deadlines(world, team):
    sla = response.response_times(scope_of(team))["overall"]["ack_sla"]

    assert sla == {"met": 4, "decided": 6, "share": pytest.approx(4 / 6)}


def test_breakdowns_per_team_service_and_week(world, team):
    result = response.response_times(scope_of(team))

    assert [(row["team_slug"], row["incidents"]) for row in result["by_team"]] == [("payments", 6)]
    assert [(row["service_slug"], row["incidents"]) for row in result["by_service"]] == [("checkout-api", 6)]
    assert result["by_team"][0]["mtta"]["mean"] == pytest.approx(730)
    weeks = result["by_week"]
    assert [w["week"] for w in weeks] == [dt.date(2026, 3, d) for d in (2, 9, 16, 23)]
    assert [w["incidents"] for w in weeks] == [1, 2, 2, 1]
    assert [w["mtta"]["mean"] for w in weeks] == [240, 480, 1500, 180]
    assert [w["mttr"]["mean"] for w in weeks] == [3000, 5400, None, 1800]


def test_other_teams_incidents_never_count(world, other_team):
    overall = response.response_times(scope_of(other_team))["overall"]

    assert overall["incidents"] == 1 and overall["mtta"]["mean"] == 60


def test_filters_by_service_and_severity(world, team):
    assert response.response_times(scope_of(team, severity="P1"))["overall"]["incidents"] == 2
    assert response.response_times(scope_of(team, service="payments-db"))["overall"]["incidents"] == 0


def test_mtbf_is_operational_time_over_failures_with_gap_percentiles(world, team):
    mtbf = response.mtbf(scope_of(team))

    # 2 active services × 672 h / 5 failures (the false alarm is not one); gaps in the window A→B 168 h,
    # B→C 28 h, C→D 133 h, D→F 174 h (Z, before the window, starts none).
    assert mtbf["services"] == 2 and mtbf["failures"] == 5 and mtbf["gaps"] == 4
    assert mtbf["mean"] == pytest.approx(2 * 672 / 5)
    assert mtbf["median"] == pytest.approx(150.5)
    assert mtbf["p90"] == pytest.approx(172.2)


def test_no_incidents_gives_no_numbers_and_no_errors(team):
    result = response.response_times(scope_of(team))

    assert result["overall"]["incidents"] == 0
    assert result["overall"]["mtta"] == {"mean": None, "median": None, "p90": None, "count": 0}
    assert result["overall"]["ack_sla"]["share"] is None
    assert result["by_team"] == [] and len(result["by_week"]) == 4
    assert response.mtbf(scope_of(team))["mean"] is None


def test_the_business_hours_sla_uses_the_deadline_the_policy_set(service, engineer):
    """A P3 (4 business hours) detected Friday 16:00 Berlin is due Monday 12:00: acknowledged Monday 11:00 it met
    its SLA though 67 hours passed; acknowledged Monday 13:00 it did not."""
    import time_machine

    from incidents.services import incident_acknowledge
    from tests.factories import IncidentFactory

    friday_4pm = dt.datetime(2026, 3, 13, 15, 0, tzinfo=dt.UTC)
    incidents = []
    for monday_hour in (10, 12):  # UTC: 11:00 and 13:00 Berlin
        with time_machine.travel(friday_4pm, tick=False):
            incident = IncidentFactory(service=service, severity="P3", detected_at=friday_4pm)
        assert incident.ack_deadline == dt.datetime(2026, 3, 16, 11, 0, tzinfo=dt.UTC)
        with time_machine.travel(dt.datetime(2026, 3, 16, monday_hour, 0, tzinfo=dt.UTC), tick=False):
            incidents.append(incident_acknowledge(incident=incident, user=engineer))

    sla = response.response_times(scope_of(service.team))["overall"]["ack_sla"]

    assert sla == {"met": 1, "decided": 2, "share": 0.5}


def test_an_incident_resolved_without_acknowledgement_meets_the_sla_by_its_resolution(service):
    make_incident(service, "P2", at(3, 3, 9), resolved=10 * MIN, deadline=at(3, 3, 9, 15))
    make_incident(service, "P2", at(3, 4, 9), deadline=at(3, 4, 9, 15))  # never acknowledged, past its deadline
    make_incident(service, "P2", NOW - MIN, deadline=NOW + 14 * MIN)  # not decided yet

    sla = response.response_times(scope_of(service.team, until=NOW + MIN))["overall"]["ack_sla"]

    assert sla == {"met": 1, "decided": 2, "share": 0.5}


@pytest.mark.parametrize("count", [1, 2, 5, 10, 11])
def test_the_sql_fallback_percentiles_match_percentile_cont(service, count, is_postgres):
    """The window-function fallback (SQLite's) agrees with PostgreSQL's percentile_cont row for row."""
    for i in range(count):
        make_incident(service, "P2" if i % 2 else "P3", at(3, 2 + i, 9), ack=(7 * i * i % 23 + 1) * MIN)
    incidents = Incident.objects.all()
    values = sorted((7 * i * i % 23 + 1) * 60 for i in range(count))

    def expected(fraction):
        position = (len(values) - 1) * fraction
        low = int(position)
        high = min(low + 1, len(values) - 1)
        return values[low] + (values[high] - values[low]) * (position - low)

    (fallback,) = grouped_stats(incidents, values={"mtta": _durations()["mtta"]}, fallback=True)
    assert fallback["mtta_median"] == pytest.approx(expected(0.5))
    assert fallback["mtta_p90"] == pytest.approx(expected(0.9))
    if is_postgres:
        (native,) = grouped_stats(incidents, values={"mtta": _durations()["mtta"]}, fallback=False)
        assert native["mtta_median"] == pytest.approx(fallback["mtta_median"])
        assert native["mtta_p90"] == pytest.approx(fallback["mtta_p90"])


def test_grouped_fallback_percentiles_match_percentile_cont(world, is_postgres):
    from django.db.models import F

    incidents = Incident.objects.filter(service__team__slug="payments", detected_at__gte=SINCE)
    groups = {"sev": F("severity")}
    fallback = {row["sev"]: row for row in grouped_stats(incidents, groups=groups, values=_durations(), fallback=True)}

    assert fallback["P1"]["mtta_median"] == pytest.approx(420)
    assert fallback["P2"]["mtta_p90"] == pytest.approx(1032)
    assert fallback["P3"]["mttr_median"] is None
    if is_postgres:
        native = {row["sev"]: row for row in grouped_stats(incidents, groups=groups, values=_durations(),
                                                           fallback=False)}
        for sev, row in native.items():
            for key, value in row.items():
                assert fallback[sev][key] == pytest.approx(value), (sev, key)


@pytest.mark.postgres  # GROUPING SETS and percentile_cont are PostgreSQL's
def test_the_grouping_sets_pass_matches_a_query_per_grouping(world, team):
    """PostgreSQL's one GROUPING SETS query answers what the query per grouping (SQLite's way) answers."""
    from django.db.models.functions import Coalesce

    from incidents.metrics.aggregates import bucket_of
    from incidents.metrics.scope import day_start

    scope = scope_of(team)
    incidents = scope.detected().annotate(responded_at=Coalesce("acknowledged_at", "resolved_at"))
    week = bucket_of("detected_at", [day_start(w) for w in scope.weeks[1:]])
    one_overall, one_by_severity, one_by_service, one_by_week = response._in_one_pass(incidents, NOW, week)
    overall, by_severity, by_service, by_week = response._per_grouping(incidents, NOW, week)

    assert response._shape(one_overall) == response._shape(overall)
    assert {sev: response._shape(row) for sev, row in one_by_severity.items()} == {
        sev: response._shape(row) for sev, row in by_severity.items()
    }
    assert one_by_service == {pk: pytest.approx(numbers) for pk, numbers in by_service.items()}
    assert one_by_week == {week: pytest.approx(numbers) for week, numbers in by_week.items()}
