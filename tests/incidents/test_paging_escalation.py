"""Escalation through the frozen policy, with time travel: who is paged when, what stops it, what restarts it."""

import datetime as dt

import pytest

from config.errors import ConflictError
from incidents.models import Incident, Page, PageKind, TimelineKind
from incidents.services import (
    incident_acknowledge,
    incident_change_severity,
    incident_investigate,
    incident_reopen,
    incident_resolve,
)
from incidents.services.paging import incident_page_acknowledge
from oncall.models import EscalationLevel, Notification, NotificationChannel, NotificationStatus, OnCallProfile
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import NOW, declare, page_log, page_notifications, sweep, timeline, utc

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def run_ladder(service, clock, *, severity="P1", minutes=(0, 4, 5, 14, 15, 29, 30, 59, 60, 120)):
    incident = declare(service, severity)
    start = incident.detected_at
    for minute in minutes:
        clock.move_to(start + minute * MIN)
        sweep()
    return incident


def test_a_p1_pages_primary_secondary_lead_manager_and_leadership_on_the_guides_ladder(service, ladder, now):
    incident = run_ladder(service, now)
    assert page_log(incident) == [
        (1, 0 * MIN, "pia"), (2, 5 * MIN, "sara"), (3, 15 * MIN, "lena"), (4, 30 * MIN, "mona"), (5, 60 * MIN, "vera"),
    ]
    notes = timeline(incident, TimelineKind.PAGE)
    assert notes[0] == "Level 1 (Primary on-call): paged Pia Payments."
    assert notes[4] == "Level 5 (Leadership (profiles flagged “leadership”)): paged Vera President."
    assert Incident.objects.get(pk=incident.pk).next_escalation_at is None


def test_each_page_writes_one_outbox_row_per_channel(service, ladder, now):
    OnCallProfile.objects.filter(user=ladder["pia"]).update(webhook_url="https://chat.example.com/hooks/pia")
    incident = declare(service, "P1")
    sweep()
    sweep()  # a second sweep at the same moment changes nothing
    rows = list(page_notifications(incident).order_by("channel"))
    assert [(r.recipient.username, r.channel, r.status) for r in rows] == [
        ("pia", NotificationChannel.EMAIL, NotificationStatus.PENDING),
        ("pia", NotificationChannel.WEBHOOK, NotificationStatus.PENDING),
    ]
    assert rows[0].subject.startswith(f"[P1] {incident.reference} Checkout returns 503 — you are paged (level 1")
    assert rows[0].data["level"] == 1 and rows[0].data["cycle"] == 1 and rows[0].link.endswith(f"/{incident.pk}/")


def test_acknowledging_at_7_minutes_stops_the_escalation_after_level_2(service, ladder, now):
    incident = declare(service, "P1")
    for minute in (0, 5):
        now.move_to(incident.detected_at + minute * MIN)
        sweep()
    now.move_to(incident.detected_at + 7 * MIN)
    incident_acknowledge(incident=incident, user=ladder["sara"])
    for minute in (15, 30, 60, 180):
        now.move_to(incident.detected_at + minute * MIN)
        sweep()
    assert [level for level, _, _ in page_log(incident)] == [1, 2]
    incident.refresh_from_db()
    assert incident.next_escalation_at is None and incident.escalation_ended_at == incident.acknowledged_at


def test_resolving_without_acknowledging_also_stops_it(service, ladder, now):
    incident = declare(service, "P2")
    sweep()
    now.shift(2 * MIN)
    incident_resolve(incident=incident, user=ladder["pia"])
    now.shift(60 * MIN)
    sweep()
    assert [level for level, _, _ in page_log(incident)] == [1]


def test_a_p2_never_pages_the_p1_only_leadership_level(service, ladder, now):
    incident = run_ladder(service, now, severity="P2", minutes=(0, 5, 15, 30, 60, 240))
    assert [level for level, _, _ in page_log(incident)] == [1, 2, 3, 4]


def test_raising_a_p2_to_p1_adds_the_leadership_level(service, ladder, now):
    incident = declare(service, "P2")
    for minute in (0, 5, 15, 30):
        now.move_to(incident.detected_at + minute * MIN)
        sweep()
    now.move_to(incident.detected_at + 45 * MIN)
    incident_change_severity(incident=incident, user=ladder["mona"], severity="P1")
    assert Incident.objects.get(pk=incident.pk).next_escalation_at == incident.detected_at + 60 * MIN
    now.move_to(incident.detected_at + 60 * MIN)
    sweep()
    assert page_log(incident)[-1] == (5, 60 * MIN, "vera")


def test_lowering_a_p1_to_p2_drops_the_leadership_level(service, ladder, now):
    incident = declare(service, "P1")
    for minute in (0, 5, 15, 30):
        now.move_to(incident.detected_at + minute * MIN)
        sweep()
    incident_change_severity(incident=incident, user=ladder["mona"], severity="P2")
    assert Incident.objects.get(pk=incident.pk).next_escalation_at is None
    now.move_to(incident.detected_at + 90 * MIN)
    sweep()
    assert [level for level, _, _ in page_log(incident)] == [1, 2, 3, 4]


def test_a_late_sweep_pages_every_level_that_fell_due_meanwhile(service, ladder, now):
    incident = declare(service, "P1")
    now.move_to(incident.detected_at + 20 * MIN)  # e.g. the broker was down for twenty minutes
    sweep()
    assert [(level, who) for level, _, who in page_log(incident)] == [(1, "pia"), (2, "sara"), (3, "lena")]
    assert Incident.objects.get(pk=incident.pk).next_escalation_at == incident.detected_at + 30 * MIN


def test_each_page_goes_to_whoever_is_on_call_when_it_is_sent(service, ladder, now):
    # Pia's primary week ends Monday 2026-03-09 09:00 Berlin (08:00 UTC); Paul takes over.
    now.move_to(utc(2026, 3, 9, 7, 58))
    incident = declare(service, "P2")
    sweep()
    now.move_to(utc(2026, 3, 9, 8, 3))
    sweep()
    assert [(level, who) for level, _, who in page_log(incident)] == [(1, "pia"), (2, "sven")]


def test_an_override_is_paged_instead_of_the_rotation(service, ladder, primary, now):
    from oncall.models import Override

    Override.objects.create(rotation=primary, user=ladder["petra"], start=NOW - MIN, end=NOW + 60 * MIN)
    incident = declare(service, "P1")
    sweep()
    assert page_log(incident) == [(1, 0 * MIN, "petra")]


def test_an_empty_level_passes_straight_to_the_next(service, ladder, secondary, now):
    secondary.rotation_members.all().delete()
    incident = declare(service, "P1")
    sweep()
    assert [(level, who) for level, _, who in page_log(incident)] == [(1, "pia")]
    now.shift(5 * MIN)
    sweep()
    assert [(level, who) for level, _, who in page_log(incident)] == [(1, "pia"), (3, "lena")]
    assert "Level 2 (Secondary on-call): paged nobody is on call for it" in " ".join(timeline(incident))
    assert Page.objects.get(incident=incident, level=2).recipients == []


def test_the_policy_is_frozen_at_declaration(service, ladder, escalation_policy, now):
    incident = declare(service, "P1")
    EscalationLevel.objects.filter(policy=escalation_policy, position=2).update(delay=dt.timedelta(minutes=45))
    now.shift(5 * MIN)
    sweep()
    assert [level for level, _, _ in page_log(incident)] == [1, 2]
    assert incident.escalation_policy_name == escalation_policy.name


def test_the_services_own_policy_beats_the_teams_default(service, ladder, escalation_policy, now):
    from oncall.models import EscalationPolicy, EscalationTarget

    custom = EscalationPolicy.objects.create(team=service.team, name="Straight to Mona")
    EscalationLevel.objects.create(policy=custom, position=1, delay=dt.timedelta(0),
                                   target_kind=EscalationTarget.USER, target_user=ladder["mona"])
    service.escalation_policy = custom
    service.save()
    incident = declare(service, "P1")
    sweep()
    assert page_log(incident) == [(1, 0 * MIN, "mona")]


def test_a_team_without_a_policy_pages_nobody(service, primary, now):
    from oncall.models import EscalationPolicy

    EscalationPolicy.objects.filter(team=service.team).delete()  # new teams start with the guide's policy
    incident = declare(service, "P1")
    assert incident.escalation_snapshot == [] and incident.next_escalation_at is None
    sweep()
    assert not Page.objects.filter(incident=incident).exists()


def test_reopening_restarts_the_escalation_from_level_1(service, ladder, now):
    incident = declare(service, "P2")
    sweep()
    now.shift(2 * MIN)
    incident = incident_acknowledge(incident=incident, user=ladder["pia"])
    incident = incident_investigate(incident=incident, user=ladder["pia"])
    incident = incident_resolve(incident=incident, user=ladder["pia"])
    now.shift(20 * MIN)
    incident = incident_reopen(incident=incident, user=ladder["mona"], note="errors are back")
    sweep()
    now.shift(5 * MIN)
    sweep()
    pages = list(Page.objects.filter(incident=incident, kind=PageKind.ESCALATION).order_by("cycle", "level"))
    assert [(p.cycle, p.level, p.recipients[0]["name"]) for p in pages] == [
        (1, 1, "Pia Payments"), (2, 1, "Pia Payments"), (2, 2, "Sara Payments"),
    ]
    assert pages[2].paged_at - pages[1].paged_at == 5 * MIN
    assert "Level 1 (Primary on-call): paged Pia Payments (escalation cycle 2, after the reopen)." in timeline(
        incident, TimelineKind.PAGE
    )
    keys = set(Notification.objects.filter(recipient=ladder["pia"]).values_list("idempotency_key", flat=True))
    assert {f"incident:{incident.pk}:page:1:1:{ladder['pia'].pk}:email",
            f"incident:{incident.pk}:page:2:1:{ladder['pia'].pk}:email"} <= keys


def test_after_a_reopen_acknowledging_the_page_stops_the_new_cycle(service, ladder, now):
    incident = declare(service, "P2")
    sweep()
    incident = incident_resolve(incident=incident, user=ladder["pia"])
    incident = incident_reopen(incident=incident, user=ladder["mona"])
    sweep()
    now.shift(3 * MIN)
    incident = incident_page_acknowledge(incident=incident, user=ladder["pia"])
    assert incident.state == "investigating"
    now.shift(30 * MIN)
    sweep()
    assert [(p.cycle, p.level) for p in Page.objects.filter(incident=incident).order_by("id")] == [(1, 1), (2, 1)]
    assert timeline(incident, TimelineKind.ESCALATION) == [
        "Page acknowledged by Pia Payments: escalation cycle 2 stopped."
    ]
    with pytest.raises(ConflictError, match="No escalation is running"):
        incident_page_acknowledge(incident=incident, user=ladder["pia"])


def test_acknowledging_the_page_of_a_detected_incident_acknowledges_it(service, ladder, now):
    incident = declare(service, "P2")
    sweep()
    incident = incident_page_acknowledge(incident=incident, user=ladder["pia"])
    assert incident.state == "acknowledged" and incident.acknowledged_by == ladder["pia"]


def test_a_page_still_in_the_outbox_when_the_incident_is_acknowledged_is_cancelled(service, ladder, now):
    from oncall.services import notification_deliver

    incident = declare(service, "P1")
    sweep()
    incident_acknowledge(incident=incident, user=ladder["pia"])  # e.g. from the web while the broker was down
    (row,) = page_notifications(incident)
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.CANCELLED
    row.refresh_from_db()
    assert row.last_error == f"{incident.reference} was acknowledged before this page went out."


def test_a_page_delivered_before_the_acknowledgement_was_sent(service, ladder, now):
    from oncall.services import notification_deliver

    incident = declare(service, "P1")
    sweep()
    (row,) = page_notifications(incident)
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT
    incident_acknowledge(incident=incident, user=ladder["pia"])
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.SENT


def test_one_broken_incident_does_not_hold_up_the_others(service, ladder, now, caplog):
    good = declare(service, "P1", title="Good")
    bad = declare(service, "P1", title="Bad")
    Incident.objects.filter(pk=bad.pk).update(escalation_snapshot=[{"position": 1}])  # hand-edited into nonsense
    sweep()
    assert page_log(good) == [(1, 0 * MIN, "pia")]
    assert not Page.objects.filter(incident=bad).exists()
    assert Incident.objects.get(pk=bad.pk).next_escalation_at == bad.detected_at  # still due: retried next sweep
    assert f"Could not escalate incident {bad.pk}" in caplog.text


def test_the_incident_page_shows_the_ladder_and_acknowledges_a_reopened_page(client, service, ladder, now):
    from tests.factories.oncall import PASSWORD

    incident = declare(service, "P2")
    sweep()
    incident_resolve(incident=incident, user=ladder["pia"])
    incident_reopen(incident=incident, user=ladder["pia"])
    sweep()
    client.login(username="pia", password=PASSWORD)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "cycle 2 since the reopen" in page and "Acknowledge page" in page
    assert "paged Pia Payments at 12:00" in page  # the ladder of the current cycle
    response = client.post(f"/incidents/{incident.pk}/page/acknowledge/")
    assert response.status_code == 302
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Page acknowledged: the escalation stopped." in page and "Acknowledge page</button>" not in page
    assert client.post(f"/incidents/{incident.pk}/page/acknowledge/").status_code == 409
