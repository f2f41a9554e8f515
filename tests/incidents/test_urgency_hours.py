"""Urgency hours, with time travel: P1/P2 page at any hour, P3/P4 opened outside the team's working hours
(Payments: Mon–Fri 09:00–17:00 Europe/Berlin) page nobody until they begin, across nights, weekends and DST."""

import datetime as dt

import pytest

from incidents.models import Incident, PagingHours, SeverityPolicy, TimelineKind
from incidents.services import incident_acknowledge, incident_change_severity
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import declare, page_log, sweep, timeline, utc

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def levels_at(incident) -> list[tuple[int, dt.datetime]]:
    return [(level, incident.detected_at + after) for level, after, _ in page_log(incident)]


def sweep_at(clock, *instants):
    for at in instants:
        clock.move_to(at)
        sweep()


def test_a_p3_at_night_pages_nobody_until_nine_and_then_escalates_normally(service, ladder, now):
    now.move_to(utc(2026, 3, 4, 21, 0))  # Wednesday 22:00 in Berlin (CET)
    incident = declare(service, "P3")
    assert incident.paging_deferred_until == utc(2026, 3, 5, 8, 0)  # Thursday 09:00 CET
    assert timeline(incident, TimelineKind.ESCALATION) == [
        "Paging deferred until Thu 09:00 (team time): P3 incidents outside Payments's working hours wait for them."
    ]
    sweep_at(now, utc(2026, 3, 4, 21, 0), utc(2026, 3, 4, 23, 30), utc(2026, 3, 5, 7, 59))
    assert page_log(incident) == []
    sweep_at(now, utc(2026, 3, 5, 8, 0), utc(2026, 3, 5, 8, 5))
    assert levels_at(incident) == [(1, utc(2026, 3, 5, 8, 0)), (2, utc(2026, 3, 5, 8, 5))]


def test_a_p4_on_friday_evening_waits_for_monday_morning(service, ladder, now):
    now.move_to(utc(2026, 3, 6, 17, 30))  # Friday 18:30 CET
    incident = declare(service, "P4")
    assert incident.paging_deferred_until == utc(2026, 3, 9, 8, 0)
    assert "Paging deferred until Mon 09:00 (team time)" in timeline(incident, TimelineKind.ESCALATION)[0]
    sweep_at(now, utc(2026, 3, 7, 10, 0), utc(2026, 3, 8, 12, 0), utc(2026, 3, 9, 7, 59))
    assert page_log(incident) == []
    sweep_at(now, utc(2026, 3, 9, 8, 0))
    assert levels_at(incident) == [(1, utc(2026, 3, 9, 8, 0))]


def test_deferral_across_the_spring_dst_switch_pages_at_nine_summer_time(service, ladder, now):
    now.move_to(utc(2026, 3, 28, 19, 0))  # Saturday 20:00 CET; clocks go forward on Sunday 29 March
    incident = declare(service, "P3")
    assert incident.paging_deferred_until == utc(2026, 3, 30, 7, 0)  # Monday 09:00 CEST = 07:00 UTC
    sweep_at(now, utc(2026, 3, 30, 6, 59))
    assert page_log(incident) == []
    sweep_at(now, utc(2026, 3, 30, 7, 0))
    assert levels_at(incident) == [(1, utc(2026, 3, 30, 7, 0))]


def test_deferral_across_the_autumn_dst_switch(service, ladder, now):
    now.move_to(utc(2026, 10, 23, 20, 0))  # Friday 22:00 CEST; clocks go back on Sunday 25 October
    incident = declare(service, "P3")
    assert incident.paging_deferred_until == utc(2026, 10, 26, 8, 0)  # Monday 09:00 CET


def test_an_incident_in_working_hours_pages_at_once(service, ladder, now):
    incident = declare(service, "P3")  # Wednesday 13:00 CET
    sweep()
    assert incident.paging_deferred_until is None
    assert levels_at(incident) == [(1, incident.detected_at)]


@pytest.mark.parametrize("severity", ["P1", "P2"])
def test_p1_and_p2_page_at_any_hour(service, ladder, now, severity):
    now.move_to(utc(2026, 3, 8, 2, 0))  # Sunday 03:00 CET
    incident = declare(service, severity)
    sweep()
    assert incident.paging_deferred_until is None
    assert levels_at(incident) == [(1, utc(2026, 3, 8, 2, 0))]


def test_raising_a_deferred_incident_to_p2_pages_at_once(service, ladder, now):
    now.move_to(utc(2026, 3, 4, 21, 0))
    incident = declare(service, "P3")
    now.move_to(utc(2026, 3, 4, 22, 0))
    incident_change_severity(incident=incident, user=ladder["mona"], severity="P2")
    sweep()
    incident.refresh_from_db()
    assert incident.paging_deferred_until is None
    assert levels_at(incident)[0] == (1, utc(2026, 3, 4, 22, 0))
    assert "P2 pages at any hour: paging starts now instead of waiting for working hours." in timeline(
        incident, TimelineKind.ESCALATION
    )


def test_a_service_that_wants_24_7_pages_a_p3_at_night(service, ladder, now):
    service.paging_hours = PagingHours.ALWAYS
    service.save()
    now.move_to(utc(2026, 3, 4, 23, 0))
    incident = declare(service, "P3")
    sweep()
    assert incident.paging_deferred_until is None and levels_at(incident) == [(1, utc(2026, 3, 4, 23, 0))]


def test_the_severity_policy_can_make_p3_page_at_any_hour(service, ladder, now):
    SeverityPolicy.objects.filter(severity="P3").update(page_outside_working_hours=True)
    now.move_to(utc(2026, 3, 4, 23, 0))
    incident = declare(service, "P3")
    assert incident.paging_deferred_until is None and incident.next_escalation_at == utc(2026, 3, 4, 23, 0)


def test_the_migration_makes_p3_and_p4_wait_and_p1_p2_page_at_any_hour(db):
    policies = dict(SeverityPolicy.objects.values_list("severity", "page_outside_working_hours"))
    assert policies == {"P1": True, "P2": True, "P3": False, "P4": False}


def test_acknowledging_a_deferred_incident_means_nobody_is_paged_later(service, ladder, now):
    now.move_to(utc(2026, 3, 4, 21, 0))
    incident = declare(service, "P3")
    incident_acknowledge(incident=incident, user=ladder["pia"])
    sweep_at(now, utc(2026, 3, 5, 8, 0), utc(2026, 3, 5, 9, 0))
    assert page_log(incident) == []
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.paging_deferred_until is None and incident.next_escalation_at is None


def test_a_p3_reopened_at_night_waits_for_working_hours_again(service, ladder, now):
    from incidents.services import incident_reopen, incident_resolve

    incident = declare(service, "P3")  # Wednesday 13:00 CET: paged at once
    sweep()
    incident_resolve(incident=incident, user=ladder["pia"])
    now.move_to(utc(2026, 3, 4, 22, 0))  # 23:00 CET
    incident = incident_reopen(incident=incident, user=ladder["pia"])
    assert incident.escalation_cycle == 2 and incident.paging_deferred_until == utc(2026, 3, 5, 8, 0)
    sweep_at(now, utc(2026, 3, 5, 3, 0))
    assert [level for level, _ in levels_at(incident)] == [1]  # only cycle 1's page so far
    sweep_at(now, utc(2026, 3, 5, 8, 0))
    assert [level for level, _ in levels_at(incident)] == [1, 1]
