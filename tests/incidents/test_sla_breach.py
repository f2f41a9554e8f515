"""The acknowledgement SLA: breached at the deadline (business hours for P3/P4), on the timeline, in lists
and in the admin."""

import datetime as dt

import pytest
import time_machine

from incidents.models import Incident, TimelineEntry, TimelineKind
from incidents.services import incident_acknowledge, incident_change_severity
from incidents.services.paging import ack_breaches_sweep
from tests.factories import IncidentFactory
from tests.factories.oncall import PASSWORD

pytestmark = pytest.mark.django_db
UTC = dt.UTC
SEC = dt.timedelta(seconds=1)


def breaches(incident) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.ACK_BREACH))


def test_a_p1_not_acknowledged_within_5_minutes_is_breached_at_the_deadline(service):
    t0 = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="P1")
        clock.move_to(t0 + dt.timedelta(minutes=5) - SEC)
        assert ack_breaches_sweep() == 0
        clock.move_to(t0 + dt.timedelta(minutes=5, seconds=12))  # the sweep runs every 15 s
        assert ack_breaches_sweep() == 1
        assert ack_breaches_sweep() == 0
    incident.refresh_from_db()
    assert incident.ack_breached_at == t0 + dt.timedelta(minutes=5)
    (entry,) = breaches(incident)
    assert entry.at == incident.ack_deadline and entry.actor is None
    assert entry.note == "Not acknowledged by the P1 deadline, Wed 2026-03-04 12:05 UTC (13:05 CET Europe/Berlin)."


def test_an_incident_acknowledged_in_time_is_never_breached(service, engineer):
    t0 = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="P1")
        clock.shift(dt.timedelta(minutes=4))
        incident_acknowledge(incident=incident, user=engineer)
        clock.shift(dt.timedelta(hours=3))
        assert ack_breaches_sweep() == 0
    assert Incident.objects.get(pk=incident.pk).ack_breached_at is None


def test_p3_deadlines_skip_nights_and_weekends(service):
    # Payments works 09:00-17:00 Europe/Berlin, Monday to Friday. A P3 has four business hours.
    friday_4pm = dt.datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
    with time_machine.travel(friday_4pm, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="P3")
        monday_noon = dt.datetime(2026, 3, 9, 11, 0, tzinfo=UTC)  # one hour on Friday, three on Monday
        assert incident.ack_deadline == monday_noon
        for moment in (
            dt.datetime(2026, 3, 6, 19, 0, tzinfo=UTC),  # Friday evening
            dt.datetime(2026, 3, 7, 12, 0, tzinfo=UTC),  # Saturday
            dt.datetime(2026, 3, 8, 23, 0, tzinfo=UTC),  # Sunday night
            monday_noon - SEC,
        ):
            clock.move_to(moment)
            assert ack_breaches_sweep() == 0, moment
        clock.move_to(monday_noon)
        assert ack_breaches_sweep() == 1
    assert Incident.objects.get(pk=incident.pk).ack_breached_at == monday_noon


def test_a_p3_detected_at_night_counts_from_the_morning(service):
    tuesday_2am = dt.datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 02:00 in Berlin
    with time_machine.travel(tuesday_2am, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="P3")
        assert incident.ack_deadline == dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 13:00 in Berlin
        clock.move_to(dt.datetime(2026, 3, 10, 11, 59, tzinfo=UTC))
        assert ack_breaches_sweep() == 0


def test_raising_the_severity_moves_the_deadline_and_the_breach(service, manager):
    t0 = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="P3")
        clock.shift(dt.timedelta(minutes=10))
        incident_change_severity(incident=incident, user=manager, severity="P1")
        assert ack_breaches_sweep() == 1
    assert Incident.objects.get(pk=incident.pk).ack_breached_at == t0 + dt.timedelta(minutes=5)


def test_the_list_shows_a_breach_badge(client, service, engineer):
    t0 = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        late = IncidentFactory(service=service, severity="P1", title="Late one")
        clock.shift(dt.timedelta(minutes=6))
        IncidentFactory(service=service, severity="P1", title="Fresh one")
        ack_breaches_sweep()
        client.login(username=engineer.username, password=PASSWORD)
        page = client.get("/incidents/").content.decode()
        detail = client.get(f"/incidents/{late.pk}/").content.decode()
    assert page.count("SLA breached</span>") == 1
    row = page[page.index("Late one"):]
    assert row.index("SLA breached") < row.index("</tr>")
    assert "Ack SLA breached" in detail


def test_the_admin_lists_and_filters_breaches(client, service, manager):
    t0 = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        late = IncidentFactory(service=service, severity="P1", title="Late one")
        clock.shift(dt.timedelta(minutes=6))
        IncidentFactory(service=service, severity="P1", title="Fresh one")
        ack_breaches_sweep()
    client.login(username=manager.username, password=PASSWORD)
    listing = client.get("/admin/incidents/incident/").content.decode()
    assert "⚠ breached" in listing and "running" in listing
    breached = client.get("/admin/incidents/incident/?ack_sla=breached").content.decode()
    assert "Late one" in breached and "Fresh one" not in breached
    change = client.get(f"/admin/incidents/incident/{late.pk}/change/").content.decode()
    assert "Ack breached at" in change
