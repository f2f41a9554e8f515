"""Hand-off notices: at each hand-off the outgoing and incoming on-call get a summary with the open incidents."""

import datetime as dt

import pytest

from incidents.services import incident_acknowledge
from incidents.services.paging import handoff_notices_send, handoffs_between
from oncall.models import HandoffNote, Notification, Override
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import NOW, declare, utc

pytestmark = pytest.mark.django_db
HANDOFF = utc(2026, 3, 9, 8, 0)  # Monday 09:00 in Berlin: Pia hands the primary to Paul, Sara the secondary to Sven


def notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, topic__startswith="rotation:").order_by("id"))


def test_handoffs_are_found_in_the_schedule(primary, people):
    (handoff,) = handoffs_between(primary, HANDOFF - dt.timedelta(minutes=1), HANDOFF)
    assert (handoff.at, handoff.outgoing, handoff.incoming) == (HANDOFF, people["pia"], people["paul"])
    assert handoffs_between(primary, HANDOFF, HANDOFF + dt.timedelta(days=6)) == []


def test_both_sides_of_a_handoff_get_the_summary_with_open_incidents(service, ladder, primary, now):
    open_one = declare(service, "P2", title="Card payments slow")
    incident_acknowledge(incident=open_one, user=ladder["pia"])
    HandoffNote.objects.create(rotation=primary, author=ladder["pia"], shift_start=HANDOFF,
                               ongoing_issues="Flaky disk alerts on db-3.")
    now.move_to(HANDOFF - dt.timedelta(minutes=5))
    handoff_notices_send()  # the first run only looks back a little
    assert notices(ladder["paul"]) == []
    now.move_to(HANDOFF + dt.timedelta(seconds=40))
    assert handoff_notices_send() == 4  # primary and secondary, outgoing and incoming each
    (incoming,) = notices(ladder["paul"])
    (outgoing,) = notices(ladder["pia"])
    assert incoming.subject == "[Watchkeeper] You are now on call: Payments Primary"
    assert outgoing.subject == "[Watchkeeper] Your on-call shift ended: Payments Primary"
    assert incoming.body.startswith(
        "Your Primary shift started at Mon 2026-03-09 08:00 UTC (09:00 CET Europe/Berlin), taking over from Pia"
    )
    line = f"- {open_one.reference} [P2] Card payments slow — Acknowledged, acknowledged by Pia Payments"
    assert line in incoming.body
    assert "Ongoing issues: Flaky disk alerts on db-3." in incoming.body
    assert incoming.idempotency_key == f"handoff:{primary.pk}:{HANDOFF.timestamp():.0f}:{ladder['paul'].pk}:email"
    assert incoming.data["role"] == "incoming" and incoming.data["open_incidents"][0]["reference"] == open_one.reference
    assert {n.recipient.username for n in Notification.objects.filter(topic__startswith="rotation:")} == {
        "pia", "paul", "sara", "sven",
    }


def test_each_handoff_is_announced_once(service, ladder, now):
    now.move_to(HANDOFF - dt.timedelta(minutes=1))
    handoff_notices_send()
    now.move_to(HANDOFF + dt.timedelta(minutes=1))
    handoff_notices_send()
    now.move_to(HANDOFF + dt.timedelta(minutes=2))
    assert handoff_notices_send() == 0
    from incidents.models import SweepMark

    SweepMark.objects.update(reached=HANDOFF - dt.timedelta(hours=1))  # a lost mark re-walks the hand-off …
    assert handoff_notices_send() == 4
    assert Notification.objects.filter(topic__startswith="rotation:").count() == 4  # … and writes nothing new


def test_an_override_is_a_handoff_too(service, ladder, primary, now):
    start, end = NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=5)
    Override.objects.create(rotation=primary, user=ladder["petra"], start=start, end=end)
    now.move_to(start - dt.timedelta(minutes=1))
    handoff_notices_send()
    now.move_to(end + dt.timedelta(minutes=1))
    handoff_notices_send()
    assert [n.subject.split(":")[0] for n in notices(ladder["petra"])] == [
        "[Watchkeeper] You are now on call", "[Watchkeeper] Your on-call shift ended",
    ]
    assert len(notices(ladder["pia"])) == 2  # she handed over and took back


def test_a_long_outage_announces_hand_offs_of_the_last_day_only(service, ladder, now):
    handoff_notices_send()  # the mark is now 2026-03-04 12:00
    now.move_to(HANDOFF + dt.timedelta(hours=3))  # five days later
    assert handoff_notices_send() == 4  # Monday's hand-off is within the last day
