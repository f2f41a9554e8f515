"""Maintenance windows, with time travel: nobody is paged during one, escalations in flight stop at its start
(also pages already in the outbox), paging starts again from level 1 when it ends, weekly windows keep their
local times across DST."""

import datetime as dt

import pytest

from incidents.models import Incident, MaintenanceWindow, Recurrence, TimelineKind
from incidents.services import incident_acknowledge
from incidents.services.maintenance import maintenance_window_delete, maintenance_window_update
from oncall.models import NotificationStatus
from oncall.services.notifications import notification_deliver
from tests.factories.maintenance import MaintenanceWindowFactory
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import NOW, declare, page_log, page_notifications, sweep, timeline, utc

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def escalation_pages(incident) -> list[tuple[int, dt.datetime]]:
    return [(level, incident.detected_at + after) for level, after, _ in page_log(incident)]


def test_a_window_starting_mid_escalation_stops_it_and_cancels_queued_pages(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW + 3 * MIN, ends_at=NOW + 60 * MIN)
    incident = declare(service, "P1")
    sweep()  # level 1 at 12:00, its messages wait in the outbox (no worker ran)
    queued = list(page_notifications(incident))
    assert queued and {row.status for row in queued} == {NotificationStatus.PENDING}

    now.move_to(NOW + 3 * MIN)
    sweep()
    assert {row.status for row in page_notifications(incident)} == {NotificationStatus.CANCELLED}
    for minute in (5, 15, 30, 59):
        now.move_to(NOW + minute * MIN)
        sweep()
    assert escalation_pages(incident) == [(1, NOW)]
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.paging_held_until == NOW + 60 * MIN and incident.next_escalation_at is None
    assert "In maintenance until Wed 14:00 (team time) (Database upgrade): nobody is paged" in timeline(
        incident, TimelineKind.ESCALATION
    )[0]


def test_the_outbox_refuses_a_page_after_the_start_even_before_the_sweep_ran(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW + 3 * MIN, ends_at=NOW + 60 * MIN)
    incident = declare(service, "P1")
    sweep()
    row = page_notifications(incident).first()
    now.move_to(NOW + 3 * MIN)  # the window has started; no sweep has run since
    outcome = notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert outcome.status == NotificationStatus.CANCELLED and row.sent_at is None
    assert "in maintenance (Database upgrade); nobody is paged" in row.last_error


def test_a_page_delivered_before_the_start_goes_out(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW + 3 * MIN, ends_at=NOW + 60 * MIN)
    incident = declare(service, "P1")
    sweep()
    row = page_notifications(incident).first()
    now.move_to(NOW + 2 * MIN)
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT


def test_a_due_level_is_not_paged_once_the_window_started_even_by_a_late_sweep(service, ladder, now):
    incident = declare(service, "P1")
    sweep()
    MaintenanceWindowFactory(team=service.team, starts_at=NOW + 4 * MIN, ends_at=NOW + 30 * MIN)  # all services
    # The maintenance part of the sweep has not run at 12:04; the escalation part at 12:05 still holds it.
    from incidents.services.paging import escalations_sweep

    now.move_to(NOW + 5 * MIN)
    escalations_sweep()
    assert escalation_pages(incident) == [(1, NOW)]
    assert Incident.objects.get(pk=incident.pk).paging_held_until == NOW + 30 * MIN


def test_when_the_window_ends_an_open_incident_escalates_again_from_level_1(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW + 3 * MIN, ends_at=NOW + 60 * MIN)
    incident = declare(service, "P1")
    sweep()
    for minute in (3, 30, 60, 65):
        now.move_to(NOW + minute * MIN)
        sweep()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.escalation_cycle == 2 and incident.paging_held_until is None
    assert [(p.cycle, p.level, p.paged_at) for p in incident.pages.order_by("paged_at", "level")] == [
        (1, 1, NOW), (2, 1, NOW + 60 * MIN), (2, 2, NOW + 65 * MIN),
    ]
    assert "Maintenance over (Database upgrade): escalation starts again from level 1 (cycle 2)." in timeline(
        incident, TimelineKind.ESCALATION
    )


def test_an_incident_declared_during_a_window_is_recorded_and_pages_nobody_until_it_ends(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW - 10 * MIN, ends_at=NOW + 50 * MIN)
    incident = declare(service, "P1")
    assert incident.pk and incident.paging_held_until == NOW + 50 * MIN and incident.maintenance_window_id
    for minute in (0, 5, 15, 49):
        now.move_to(NOW + minute * MIN)
        sweep()
    assert page_log(incident) == []
    now.move_to(NOW + 50 * MIN)
    sweep()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.escalation_cycle == 1  # nothing was paged in it, so the cycle starts over
    assert escalation_pages(incident) == [(1, NOW + 50 * MIN)]


def test_other_services_still_page(service, other_service, ladder, now):
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW - MIN, ends_at=NOW + 50 * MIN)
    incident = declare(service, "P1")
    assert incident.paging_held_until is not None
    from tests.factories import ServiceFactory

    sibling = ServiceFactory(team=service.team, name="Wallet", slug="wallet")
    elsewhere = declare(sibling, "P1")
    sweep()
    assert elsewhere.paging_held_until is None and escalation_pages(elsewhere) == [(1, NOW)]


def test_acknowledging_during_the_window_means_no_restart_at_its_end(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, starts_at=NOW - MIN, ends_at=NOW + 30 * MIN)
    incident = declare(service, "P2")
    now.move_to(NOW + 10 * MIN)
    incident_acknowledge(incident=incident, user=ladder["pia"])
    now.move_to(NOW + 31 * MIN)
    sweep()
    incident = Incident.objects.get(pk=incident.pk)
    assert page_log(incident) == [] and incident.paging_held_until is None


def test_a_resolved_incident_does_not_restart(service, ladder, now):
    from incidents.services import incident_resolve

    MaintenanceWindowFactory(team=service.team, starts_at=NOW - MIN, ends_at=NOW + 30 * MIN)
    incident = declare(service, "P2")
    incident_resolve(incident=incident, user=ladder["pia"])
    now.move_to(NOW + 31 * MIN)
    sweep()
    assert page_log(incident) == []


def test_deleting_a_window_in_progress_lets_its_incidents_page_from_level_1(service, ladder, now):
    window = MaintenanceWindowFactory(team=service.team, starts_at=NOW - MIN, ends_at=NOW + 30 * MIN)
    incident = declare(service, "P1")
    now.move_to(NOW + 5 * MIN)
    maintenance_window_delete(user=ladder["mona"], window=window)
    sweep()
    assert escalation_pages(incident) == [(1, NOW + 5 * MIN)]


def test_shortening_a_window_ends_the_hold_at_the_new_end(service, ladder, now):
    window = MaintenanceWindowFactory(team=service.team, starts_at=NOW - MIN, ends_at=NOW + 60 * MIN)
    incident = declare(service, "P1")
    maintenance_window_update(user=ladder["mona"], window=window, ends_at=NOW + 20 * MIN)
    assert Incident.objects.get(pk=incident.pk).paging_held_until == NOW + 20 * MIN
    now.move_to(NOW + 20 * MIN)
    sweep()
    assert escalation_pages(incident) == [(1, NOW + 20 * MIN)]


def test_back_to_back_windows_hold_on(service, ladder, now):
    MaintenanceWindowFactory(team=service.team, starts_at=NOW - MIN, ends_at=NOW + 30 * MIN, reason="First")
    MaintenanceWindowFactory(team=service.team, starts_at=NOW + 30 * MIN, ends_at=NOW + 90 * MIN, reason="Second")
    incident = declare(service, "P1")
    now.move_to(NOW + 30 * MIN)
    sweep()
    incident = Incident.objects.get(pk=incident.pk)
    assert page_log(incident) == [] and incident.paging_held_until == NOW + 90 * MIN


def test_a_deferred_p3_in_maintenance_still_waits_for_working_hours_after_it(service, ladder, now):
    now.move_to(utc(2026, 3, 4, 21, 0))  # Wednesday 22:00 CET
    MaintenanceWindowFactory(team=service.team, starts_at=utc(2026, 3, 4, 20, 0), ends_at=utc(2026, 3, 4, 23, 0))
    incident = declare(service, "P3")
    now.move_to(utc(2026, 3, 4, 23, 0))
    sweep()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.paging_held_until is None and incident.paging_deferred_until == utc(2026, 3, 5, 8, 0)
    assert page_log(incident) == []


# --- weekly windows and DST ------------------------------------------------------------------------------------


def tuesdays_2_to_4(team):
    """Tuesdays 02:00–04:00 Europe/Berlin from 24 March 2026 (CET, UTC+1); DST starts on Sunday 29 March."""
    return MaintenanceWindowFactory(
        team=team, reason="Weekly patching", recurrence=Recurrence.WEEKLY, time_zone="Europe/Berlin",
        starts_at=utc(2026, 3, 24, 1, 0), ends_at=utc(2026, 3, 24, 3, 0),
    )


def test_a_weekly_window_keeps_its_local_times_across_dst(team, now):
    window = tuesdays_2_to_4(team)
    occurrences = window.upcoming(after=utc(2026, 3, 20), count=3)
    assert [(o.starts_at, o.ends_at) for o in occurrences] == [
        (utc(2026, 3, 24, 1, 0), utc(2026, 3, 24, 3, 0)),  # CET
        (utc(2026, 3, 31, 0, 0), utc(2026, 3, 31, 2, 0)),  # CEST: still 02:00–04:00 on the wall clock
        (utc(2026, 4, 7, 0, 0), utc(2026, 4, 7, 2, 0)),
    ]
    autumn = window.upcoming(after=utc(2026, 10, 19), count=2)
    assert [o.starts_at for o in autumn] == [utc(2026, 10, 20, 0, 0), utc(2026, 10, 27, 1, 0)]
    assert window.occurrence_at(utc(2026, 3, 31, 1, 59)) is not None
    assert window.occurrence_at(utc(2026, 3, 31, 2, 0)) is None


def test_a_weekly_window_starting_in_the_spring_forward_gap_keeps_its_length(team, now):
    # Sundays 02:45–03:15 Europe/Berlin: on 29 March 2026 02:45 does not exist (02:00 → 03:00).
    window = MaintenanceWindowFactory.build(
        team=team, recurrence=Recurrence.WEEKLY, time_zone="Europe/Berlin",
        starts_at=utc(2026, 3, 22, 1, 45), ends_at=utc(2026, 3, 22, 2, 15),
    )
    gap_day = window.upcoming(after=utc(2026, 3, 28), count=1)[0]
    assert gap_day.starts_at == utc(2026, 3, 29, 1, 45)  # 03:45 CEST: later by the gap, as RFC 5545 says
    assert gap_day.ends_at - gap_day.starts_at == dt.timedelta(minutes=30)
    after = window.upcoming(after=utc(2026, 4, 4), count=1)[0]
    assert (after.starts_at, after.ends_at) == (utc(2026, 4, 5, 0, 45), utc(2026, 4, 5, 1, 15))


def test_a_weekly_window_ends_on_its_repeat_until_day(team, now):
    window = tuesdays_2_to_4(team)
    window.repeat_until = dt.date(2026, 3, 31)
    assert [o.starts_at.date() for o in window.upcoming(after=utc(2026, 3, 20), count=5)] == [
        dt.date(2026, 3, 24), dt.date(2026, 3, 31),
    ]


def test_a_weekly_window_holds_paging_in_each_occurrence_after_the_dst_switch(service, ladder, now):
    now.move_to(utc(2026, 3, 20, 12, 0))
    tuesdays_2_to_4(service.team)
    now.move_to(utc(2026, 3, 31, 0, 30))  # Tuesday 02:30 CEST
    incident = declare(service, "P1")
    sweep()
    assert page_log(incident) == [] and incident.paging_held_until == utc(2026, 3, 31, 2, 0)
    now.move_to(utc(2026, 3, 31, 2, 0))  # 04:00 CEST
    sweep()
    assert escalation_pages(incident) == [(1, utc(2026, 3, 31, 2, 0))]


def test_the_start_sweep_moves_a_weekly_window_to_its_next_occurrence(service, ladder, now):
    now.move_to(utc(2026, 3, 20, 12, 0))
    window = tuesdays_2_to_4(service.team)
    assert MaintenanceWindow.objects.get(pk=window.pk).next_start_at == utc(2026, 3, 24, 1, 0)
    now.move_to(utc(2026, 3, 24, 1, 0))
    sweep()
    assert MaintenanceWindow.objects.get(pk=window.pk).next_start_at == utc(2026, 3, 31, 0, 0)


def test_a_window_does_not_hold_a_service_moved_to_another_team_since(service, other_team, ladder, now):
    # Planned by Payments for Checkout API; the service then moved to Search. Search's paging is not Payments'
    # to silence (the outbox and the escalation sweep already agree: the window no longer covers the service).
    from incidents.services.services import service_update

    MaintenanceWindowFactory(team=service.team, service=service, starts_at=NOW + 3 * MIN, ends_at=NOW + 60 * MIN)
    service_update(user=None, service=service, team=other_team)
    incident = declare(service, "P1")
    now.move_to(NOW + 3 * MIN)
    sweep()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.paging_held_until is None and incident.escalation_ended_at is None
