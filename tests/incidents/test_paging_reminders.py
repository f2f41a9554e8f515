"""Communication cadence: when a status update falls due, the Communications Lead (else the Incident Commander,
else the acknowledger, else the on-call) is reminded once per due time."""

import datetime as dt

import pytest

from incidents.models import Incident, TimelineKind, UpdateReminder
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_resolve,
    status_update_post,
)
from incidents.services.paging import update_reminders_sweep
from oncall.models import Notification, NotificationKind, NotificationStatus
from oncall.services import notification_deliver
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import declare, timeline

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def reminded(incident) -> list[tuple[dt.timedelta, str]]:
    return [
        (r.due_at - incident.detected_at, r.recipient.username if r.recipient else "")
        for r in UpdateReminder.objects.filter(incident=incident).select_related("recipient").order_by("due_at")
    ]


def test_the_communications_lead_is_reminded_once_per_due_time(service, ladder, now):
    incident = declare(service, "P1")  # P1: an update every 30 minutes
    incident_assign_role(incident=incident, role="comms_lead", assignee=ladder["petra"], user=ladder["mona"])
    now.shift(29 * MIN)
    assert update_reminders_sweep() == 0
    now.shift(1 * MIN)
    assert update_reminders_sweep() == 1
    now.shift(1 * MIN)
    assert update_reminders_sweep() == 0  # still overdue, but this due time was reminded
    assert reminded(incident) == [(30 * MIN, "petra")]
    (row,) = Notification.objects.filter(kind=NotificationKind.REMINDER, recipient=ladder["petra"])
    assert row.subject == f"[P1] {incident.reference}: a status update is due"
    assert "You get this reminder as the Communications Lead." in row.body
    assert timeline(incident, TimelineKind.UPDATE_REMINDER) == [
        "Status update due Wed 2026-03-04 12:30 UTC (13:30 CET Europe/Berlin): reminded Petra Payments "
        "(Communications Lead)."
    ]


def test_posting_an_update_starts_the_next_due_time(service, ladder, now):
    incident = declare(service, "P1")
    incident_assign_role(incident=incident, role="comms_lead", assignee=ladder["petra"], user=ladder["mona"])
    now.shift(31 * MIN)
    update_reminders_sweep()
    now.shift(4 * MIN)
    status_update_post(incident=incident, user=ladder["petra"], body="Still investigating.")  # next due at 65
    now.shift(29 * MIN)
    assert update_reminders_sweep() == 0
    now.shift(1 * MIN)
    assert update_reminders_sweep() == 1
    assert reminded(incident) == [(30 * MIN, "petra"), (65 * MIN, "petra")]


@pytest.mark.parametrize(
    ("roles", "acknowledger", "expected", "reason"),
    [
        ({"comms_lead": "petra", "commander": "lena"}, "paul", "petra", "Communications Lead"),
        ({"commander": "lena"}, "paul", "lena", "Incident Commander"),
        ({}, "paul", "paul", "acknowledger"),
        ({}, None, "pia", "first escalation level's on-call"),
    ],
)
def test_who_is_reminded(service, ladder, now, roles, acknowledger, expected, reason):
    incident = declare(service, "P2")  # P2: hourly
    for role, name in roles.items():
        incident_assign_role(incident=incident, role=role, assignee=ladder[name], user=ladder["mona"])
    if acknowledger:
        incident_acknowledge(incident=incident, user=ladder[acknowledger])
    now.shift(60 * MIN)
    update_reminders_sweep()
    reminder = UpdateReminder.objects.get(incident=incident)
    assert reminder.recipient.username == expected and reminder.recipient_reason.startswith(reason)


def test_resolved_incidents_are_not_reminded(service, ladder, now):
    incident = declare(service, "P2")
    now.shift(10 * MIN)
    incident_resolve(incident=incident, user=ladder["pia"])
    now.shift(60 * MIN)
    assert update_reminders_sweep() == 0


def test_a_p4_has_no_cadence_and_no_reminders(service, ladder, now):
    incident = declare(service, "P4")
    assert incident.next_update_due_at is None
    now.shift(dt.timedelta(days=3))
    assert update_reminders_sweep() == 0


def test_a_reminder_for_an_update_posted_meanwhile_is_cancelled(service, ladder, now):
    incident = declare(service, "P1")
    incident_acknowledge(incident=incident, user=ladder["pia"])
    now.shift(30 * MIN)
    update_reminders_sweep()
    status_update_post(incident=incident, user=ladder["pia"], body="Rolled back.")
    (row,) = Notification.objects.filter(kind=NotificationKind.REMINDER)
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.CANCELLED
    row.refresh_from_db()
    assert row.last_error == f"An update on {incident.reference} was posted before this reminder went out."


def test_a_second_sweep_at_the_same_moment_writes_nothing(service, ladder, now):
    incident = declare(service, "P1")
    now.shift(30 * MIN)
    update_reminders_sweep()
    Incident.objects.filter(pk=incident.pk).update(update_reminded_for=None)  # as if the mark were lost
    assert update_reminders_sweep() == 0  # the unique (incident, due time) constraint has the last word
    assert UpdateReminder.objects.filter(incident=incident).count() == 1
    assert Incident.objects.get(pk=incident.pk).update_reminded_for == incident.next_update_due_at


def test_the_incident_page_lists_the_reminders(client, service, ladder, now):
    from tests.factories.oncall import PASSWORD

    incident = declare(service, "P1")
    incident_assign_role(incident=incident, role="comms_lead", assignee=ladder["petra"], user=ladder["mona"])
    now.shift(30 * MIN)
    update_reminders_sweep()
    client.login(username="petra", password=PASSWORD)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Update reminders" in page and "Due Mar 4 12:30: Petra Payments" in page
