"""Alert volume, false positives, after-hours pages (per week and person, time-zone and DST aware) and pages
per on-call shift against hand-computed values from the fixture."""

import datetime as dt

import pytest

from incidents.metrics import on_call
from oncall.models import Override
from tests.factories import ServiceFactory, member
from tests.factories.oncall import rotation_with
from tests.metrics.conftest import at, make_incident, page, scope_of

pytestmark = pytest.mark.django_db
WEEKS = [dt.date(2026, 3, d) for d in (2, 9, 16, 23)]


def test_alert_volume_per_week_counts_alerts_not_follow_ups(world, team):
    result = on_call.alert_volume(scope_of(team))

    assert [(w["week"], w["events"], w["incidents"]) for w in result["weeks"]] == list(
        zip(WEEKS, [3, 2, 0, 1], [1, 2, 2, 1], strict=True)
    )
    assert result["events"] == 6
    assert result["events_per_week_per_team"] == pytest.approx(1.5)
    assert result["busiest_week"]["week"] == WEEKS[0]


def test_alert_volume_per_team_divides_by_the_teams(world):
    result = on_call.alert_volume(scope_of())

    assert result["events"] == 7  # Search's one too
    assert result["events_per_week_per_team"] == pytest.approx(7 / 4 / 2)


def test_false_positive_rate(world, team):
    assert on_call.false_positives(scope_of(team)) == {"incidents": 6, "false_alarms": 1, "rate": pytest.approx(1 / 6)}


def test_after_hours_pages_per_week_and_person(world, team):
    result = on_call.page_load(scope_of(team))["after_hours"]

    assert (result["pages"], result["after_hours"]) == (7, 3)  # the webhook copy and Search's page don't count
    assert [(w["pages"], w["after_hours"]) for w in result["weeks"]] == [(1, 0), (3, 1), (2, 2), (1, 0)]
    people = {p["username"]: (p["pages"], p["after_hours"], p["worst_week"]) for p in result["people"]}
    assert people == {"erin": (4, 1, 1), "eli": (1, 1, 1), "mona": (1, 1, 1), "otto": (1, 0, 0)}
    assert result["after_hours_per_week_per_team"] == pytest.approx(0.75)


def test_a_person_in_several_teams_goes_by_the_incidents_team(world, team):
    """Mona (Payments and Search) paged 18:30 Berlin for a Payments incident: after hours, though it was 13:30 in
    New York. Otto (Search only) paged 21:00 Berlin: 16:00 in his own team's New York, so not after hours."""
    people = {p["username"]: p for p in on_call.page_load(scope_of(team))["after_hours"]["people"]}

    assert people["mona"]["after_hours"] == 1
    assert people["otto"]["after_hours"] == 0


def test_after_hours_follow_daylight_saving_time(team, service, engineer):
    """Berlin moves to summer time on Sunday 29 March 2026 at 01:00 UTC. 07:30 UTC is 08:30 on Friday 27 March
    (before work) but 09:30 on Monday 30 March (working); 16:30 UTC is 17:30 on Friday (after work) but 18:30 on
    Monday; 15:30 UTC on Monday is 17:30, after work only in summer time."""
    incident = make_incident(service, "P2", at(3, 27, 7))
    for when in (at(3, 27, 7, 30), at(3, 30, 7, 30), at(3, 27, 15, 30), at(3, 30, 15, 30)):
        page(engineer, incident, when)

    result = on_call.page_load(scope_of(team, since=at(3, 23), until=at(4, 6)))["after_hours"]

    assert [(w["week"], w["pages"], w["after_hours"]) for w in result["weeks"]] == [
        (dt.date(2026, 3, 23), 2, 1),  # Friday 08:30 is early; Friday 16:30 CET is still working time
        (dt.date(2026, 3, 30), 2, 1),  # Monday 09:30 CEST is working; 17:30 CEST is after hours
    ]


def test_weekends_are_after_hours(team, service, engineer):
    incident = make_incident(service, "P2", at(3, 7, 11))
    page(engineer, incident, at(3, 7, 11))  # Saturday noon in Berlin

    assert on_call.page_load(scope_of(team))["after_hours"]["after_hours"] == 1


def test_pages_per_on_call_shift(world, team):
    shifts = on_call.page_load(scope_of(team))["shifts"]

    (rotation,) = shifts["rotations"]
    got = [(s["user"]["username"], s["start"], s["end"], s["pages"]) for s in rotation["shifts"]]
    assert got == [
        ("erin", at(3, 2), at(3, 2, 8), 0),
        ("eli", at(3, 2, 8), at(3, 9, 8), 0),  # Erin's page on 2 March was not during her shift
        ("erin", at(3, 9, 8), at(3, 16, 8), 2),
        ("eli", at(3, 16, 8), at(3, 23, 8), 0),  # Eli's page at 03:15 on the 16th was still Erin's shift
        ("erin", at(3, 23, 8), at(3, 30), 1),
    ]
    assert (shifts["shifts"], shifts["pages"]) == (5, 3)
    assert shifts["mean_per_shift"] == pytest.approx(0.6)
    assert shifts["pages_per_shift_week"] == pytest.approx(0.75)
    assert shifts["busiest"]["pages"] == 2


def test_an_override_is_a_shift_of_its_own(team, service, engineer, engineer2, manager):
    rotation = rotation_with(team, [engineer, engineer2], start_date=dt.date(2026, 2, 23))
    Override.objects.create(rotation=rotation, user=manager, start=at(3, 11), end=at(3, 12))
    incident = make_incident(service, "P1", at(3, 11, 6))
    page(manager, incident, at(3, 11, 6))
    page(engineer, incident, at(3, 11, 6, 5))  # Erin's shift, but Mona covers it then

    (entry,) = on_call.page_load(scope_of(team, since=at(3, 9, 8), until=at(3, 16, 8)))["shifts"]["rotations"]

    assert [(s["user"]["username"], s["source"], s["pages"]) for s in entry["shifts"]] == [
        ("erin", "rotation", 0), ("mona", "override", 1), ("erin", "rotation", 0),
    ]


def test_no_pages_and_no_rotations(team):
    load = on_call.page_load(scope_of(team))

    assert load["after_hours"]["pages"] == 0 and load["after_hours"]["people"] == []
    assert load["shifts"] == {"rotations": [], "shifts": 0, "pages": 0, "mean_per_shift": None,
                              "pages_per_shift_week": None, "busiest": None}


def test_pages_about_other_teams_incidents_do_not_count(world, other_team):
    result = on_call.page_load(scope_of(other_team))["after_hours"]

    assert [(p["username"], p["pages"]) for p in result["people"]] == [("otto", 1)]


def test_teams_in_other_time_zones_use_their_own_hours(other_team):
    """Search works 09:00–17:00 in New York: 14:00 UTC on a Wednesday is 10:00 there (09:00 before 8 March)."""
    engineer = member(other_team, username="sara")
    service = ServiceFactory(team=other_team, slug="search-web")
    incident = make_incident(service, "P2", at(3, 4, 13))
    page(engineer, incident, at(3, 4, 13, 30))  # 08:30 EST: before work
    page(engineer, incident, at(3, 11, 13, 30))  # 09:30 EDT: working

    assert on_call.page_load(scope_of(other_team))["after_hours"]["after_hours"] == 1


def test_a_scope_of_every_team_counts_every_page(world):
    result = on_call.page_load(scope_of())["after_hours"]

    assert result["pages"] == 8  # Payments' seven and Search's own page to Otto
    assert {p["username"]: p["pages"] for p in result["people"]}["otto"] == 2
