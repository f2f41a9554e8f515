"""The weekly alert hygiene review against hand-computed figures, and `manage.py alert_hygiene_report`.

The week: ISO 2026-W11, Monday 9 March 2026 00:00 UTC → Monday 16 March 00:00 UTC. Payments works Mon–Fri
09:00–17:00 Europe/Berlin (UTC+1 that week).

Checkout API has two integrations, Prometheus and Pingdom; Payments DB has "DB alerts".
  Prometheus opens i1–i5 (first alert from it):  alerts  verdict       after-hours pages
    i1  Tue 10 Mar 10:00                             10  false alarm   3 (Tue 21:00, 21:30, 22:00 Berlin)
    i2  Tue 10 Mar 11:00                              5  false alarm   0
    i3  Wed 11 Mar 10:00                              3  noisy         3 (Sat 14 Mar 13:00, 13:30, 14:00 Berlin)
    i4  Wed 11 Mar 12:00                              2 (+1 acknowledge follow-up, not counted; +1 from Pingdom)
                                                                       0 (one page Wed 11:00 Berlin: in hours)
    i5  Thu 12 Mar 09:00                              2  actionable    0
    → Prometheus: 22 alerts, 5 incidents, 2 false positives (40 %), 1 noisy (20 %), 6 after-hours pages:
      flagged for alerts (> 20), false positives (> 20 %) and after-hours pages (> 5).
  Pingdom opens j1 (Thu 12 Mar 04:00, 2 alerts, one after-hours page at 05:00 UTC = 06:00 Berlin) and sends
    one alert on i4 → 3 alerts, 1 incident, 0 %, 1 after-hours page: not flagged.
  A person declares m1 on Checkout (no alerts).
  → Checkout API: 25 alerts, 7 incidents, 2 false positives (29 %), 1 noisy, 7 after-hours pages: flagged ×3.
  DB alerts opens k1 (1 alert) on Payments DB; responders marked its stream noisy → flagged for that only.
  → Payments DB: 1 alert, 1 incident: not flagged.
Outside the week: 30 alerts on Sunday 8 March 23:00 UTC and one at Monday 16 March 00:00 UTC. Search (another
team) has 50 alerts that week.
Top noisy sources: web-1 via Prometheus (i1's 10 + i3's 3 alerts, all on false alarms/noisy), then web-2 (i2's 5).
"""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from config.errors import ApplicationError
from incidents.ingestion.services import integration_create
from incidents.metrics.hygiene import alert_hygiene, hygiene_scope, parse_week
from incidents.models import Alert, Incident, IntegrationVerdict
from oncall.models import Team
from tests.factories import ServiceFactory
from tests.metrics.conftest import at, make_incident, page

pytestmark = pytest.mark.django_db

WEEK = dt.date(2026, 3, 9)
NOW = dt.datetime(2026, 3, 18, 12, tzinfo=dt.UTC)


def send(incident, integration, when, *, n=1, source="", action="trigger"):
    for i in range(n):
        Alert.objects.create(
            incident=incident, integration=integration, service=incident.service, action=action, source=source,
            received_at=when + dt.timedelta(seconds=i), last_received_at=when, dedup_key=f"k{incident.pk}",
        )


def verdict(incident, value):
    incident.noise_verdict = value
    incident.false_alarm = value == "false_alarm"
    incident.save()


@pytest.fixture
def hygiene_world(team, other_team, service, engineer, outsider):
    db = ServiceFactory(team=team, name="Payments DB", slug="payments-db")
    search = ServiceFactory(team=other_team, name="Search API", slug="search-api")
    prom = integration_create(user=None, service=service, name="Prometheus", kind="alertmanager")[0]
    pingdom = integration_create(user=None, service=service, name="Pingdom", kind="events_v2")[0]
    dbi = integration_create(user=None, service=db, name="DB alerts", kind="events_v2")[0]
    search_int = integration_create(user=None, service=search, name="Search alerts", kind="events_v2")[0]

    i1 = make_incident(service, "P3", at(3, 10, 10), title="i1")
    i2 = make_incident(service, "P3", at(3, 10, 11), title="i2")
    i3 = make_incident(service, "P3", at(3, 11, 10), title="i3")
    i4 = make_incident(service, "P3", at(3, 11, 12), title="i4")
    i5 = make_incident(service, "P3", at(3, 12, 9), title="i5")
    j1 = make_incident(service, "P3", at(3, 12, 4), title="j1")
    make_incident(service, "P3", at(3, 12, 15), title="m1")
    k1 = make_incident(db, "P4", at(3, 13, 10), title="k1")
    verdict(i1, "false_alarm")
    verdict(i2, "false_alarm")
    verdict(i3, "noisy")
    verdict(i5, "actionable")

    send(i1, prom, at(3, 10, 10), n=10, source="web-1")
    send(i2, prom, at(3, 10, 11), n=5, source="web-2")
    send(i3, prom, at(3, 11, 10), n=3, source="web-1")
    send(i4, prom, at(3, 11, 12), n=2, source="web-3")
    send(i4, prom, at(3, 11, 12, 30), action="acknowledge")
    send(i4, pingdom, at(3, 11, 13), source="uptime")
    send(i5, prom, at(3, 12, 9), n=2, source="web-3")
    send(j1, pingdom, at(3, 12, 4), n=2, source="uptime")
    send(k1, dbi, at(3, 13, 10), source="db-1")
    # Outside the week, and another team's.
    old = make_incident(service, "P3", at(3, 8, 23), title="old")
    send(old, prom, at(3, 8, 23), n=30, source="web-1")
    send(i5, prom, at(3, 16, 0), source="web-1")
    g = make_incident(search, "P3", at(3, 10, 10), title="search")
    send(g, search_int, at(3, 10, 10), n=50)

    for when in (at(3, 10, 20), at(3, 10, 20, 30), at(3, 10, 21)):
        page(engineer, i1, when)
    for when in (at(3, 14, 12), at(3, 14, 12, 30), at(3, 14, 13)):
        page(engineer, i3, when)
    page(engineer, i4, at(3, 11, 10))
    page(engineer, j1, at(3, 12, 5))
    page(engineer, i1, at(3, 10, 20), channel="webhook")  # a copy of a page: not counted
    page(outsider, g, at(3, 10, 23))

    IntegrationVerdict.objects.create(integration=dbi, verdict="actionable", actor=engineer, at=at(3, 1))
    IntegrationVerdict.objects.create(integration=dbi, verdict="noisy", reason="Fires on every vacuum",
                                      actor=engineer, at=at(3, 12))
    return {"prom": prom, "pingdom": pingdom, "dbi": dbi, "db": db}


def report_for(team=None, week=WEEK):
    teams = Team.objects.filter(pk=team.pk) if team else Team.objects.all()
    return alert_hygiene(hygiene_scope(teams=teams, week=week, now=NOW))


def figures(row):
    return (row.alerts, row.incidents, row.false_alarms, row.noisy, row.after_hours_pages,
            [flag.code for flag in row.flags])


def test_per_integration_figures(hygiene_world, team):
    report = report_for(team)
    rows = {row.name: row for row in report.integrations}
    assert set(rows) == {"Prometheus", "Pingdom", "DB alerts"}
    assert figures(rows["Prometheus"]) == (22, 5, 2, 1, 6, ["alerts", "false_positives", "after_hours"])
    assert rows["Prometheus"].false_positive_share == pytest.approx(0.4)
    assert rows["Prometheus"].noisy_share == pytest.approx(0.2)
    assert figures(rows["Pingdom"]) == (3, 1, 0, 0, 1, [])
    assert figures(rows["DB alerts"]) == (1, 1, 0, 0, 0, ["stream_verdict"])
    assert (rows["DB alerts"].stream_verdict, rows["DB alerts"].stream_reason) == ("noisy", "Fires on every vacuum")
    assert "tune" in rows["Prometheus"].flags[0].advice and "remove" in rows["Prometheus"].flags[1].advice
    # The noisiest first.
    assert [row.name for row in report.integrations] == ["Prometheus", "DB alerts", "Pingdom"]


def test_per_service_figures(hygiene_world, team):
    rows = {row.name: row for row in report_for(team).services}
    assert figures(rows["Checkout API"]) == (25, 7, 2, 1, 7, ["alerts", "false_positives", "after_hours"])
    assert rows["Checkout API"].false_positive_share == pytest.approx(2 / 7)
    assert figures(rows["Payments DB"]) == (1, 1, 0, 0, 0, [])


def test_top_noisy_sources(hygiene_world, team):
    top = report_for(team).top_sources
    assert [(s["source"], s["integration"], s["alerts"], s["noise_alerts"]) for s in top] == [
        ("web-1", "Prometheus", 13, 13), ("web-2", "Prometheus", 5, 5),
    ]


def test_flagged_sources_and_keys(hygiene_world, team):
    report = report_for(team)
    assert [row.key for row in report.flagged] == [
        f"integration:{hygiene_world['prom'].pk}", f"integration:{hygiene_world['dbi'].pk}",
        f"service:{report.services[0].pk}",
    ]
    assert report.iso_week == "2026-W11"


def test_other_teams_and_other_weeks_are_left_out(hygiene_world, team, other_team):
    assert [row.name for row in report_for(other_team).integrations] == ["Search alerts"]
    assert report_for(other_team).integrations[0].alerts == 50
    earlier = {row.name: row for row in report_for(team, week=dt.date(2026, 3, 2)).integrations}
    assert earlier["Prometheus"].alerts == 30 and earlier["Prometheus"].incidents == 1


def test_the_report_is_a_constant_number_of_queries(hygiene_world, team, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        report_for(team)


@pytest.mark.parametrize("text, monday", [
    ("2026-W11", dt.date(2026, 3, 9)), ("2026-03-12", dt.date(2026, 3, 9)), ("", dt.date(2026, 3, 9)),
])
def test_weeks_are_asked_for_by_iso_week_or_date(text, monday):
    assert parse_week(text, now=dt.datetime(2026, 3, 18, tzinfo=dt.UTC)) == monday


@pytest.mark.parametrize("text", ["2026-W60", "yesterday", "0001-01-01", "9999-W52", "0001-W01"])
def test_bad_weeks_are_refused(text):
    with pytest.raises(ApplicationError):
        parse_week(text)


# --- the command ------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("alert_hygiene_report", *args, stdout=out)
    return out.getvalue()


def test_the_command_as_csv(hygiene_world):
    rows = list(csv.DictReader(io.StringIO(run("--week", "2026-W11", "--team", "payments", "--format", "csv"))))
    by_source = {(r["kind"], r["source"]): r for r in rows}
    prom = by_source[("integration", "Prometheus")]
    assert (prom["week"], prom["alerts"], prom["incidents"], prom["false_positives"], prom["fp_share"],
            prom["noisy_share"], prom["after_hours_pages"], prom["flagged"]) == (
        "2026-W11", "22", "5", "2", "40%", "20%", "6", "yes")
    assert "tune the alert" in prom["advice"]
    checkout = by_source[("service", "Checkout API")]
    assert (checkout["alerts"], checkout["incidents"], checkout["fp_share"]) == ("25", "7", "29%")
    assert by_source[("integration", "DB alerts")]["stream_verdict"] == "noisy"
    assert ("integration", "Search alerts") not in by_source


def test_the_command_as_markdown_and_table(hygiene_world):
    markdown = run("--week", "2026-03-11", "--team", "payments", "--format", "markdown")
    assert markdown.startswith("# Alert hygiene, week 2026-W11")
    assert "| integration | Prometheus | Checkout API | payments | 22 | 5 | 2 | 40% |" in markdown
    assert "## Flagged" in markdown and "**Prometheus (Checkout API)** (integration)" in markdown
    assert "1. web-1 via Prometheus (Checkout API): 13 of 13 alerts" in markdown
    table = run("--week", "2026-W11")
    assert "Search alerts" in table and "Flagged:" in table and "More than 20 alerts a week" in table


def test_the_command_refuses_bad_input(hygiene_world):
    with pytest.raises(CommandError, match="2026-W47"):
        run("--week", "someday")
    with pytest.raises(CommandError):
        run("--team", "nobody")


def test_an_empty_week(db):
    assert "Nothing over the guide's thresholds." in run("--week", "2020-W02")


def test_incidents_made_directly_keep_the_verdict_invariant(service):
    incident = make_incident(service, "P3", at(3, 10, 10), false_alarm=True)
    assert Incident.objects.get(pk=incident.pk).noise_verdict == "false_alarm"
