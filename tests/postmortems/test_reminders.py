"""Daily reminders for overdue action items and reviews, and the weekly digest to managers."""

import datetime as dt

import pytest
import time_machine

from oncall.models import Notification, NotificationChannel, TeamRole
from oncall.services import oncall_profile_set
from postmortems import tasks
from postmortems.models import ActionItemStatus
from postmortems.services import (
    action_item_set_status,
    action_items_remind_overdue,
    action_items_send_weekly_digest,
    postmortems_remind_review_overdue,
)
from tests.factories import member
from tests.factories.postmortems import ActionItemFactory, draft_for, resolved_incident

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def now():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def subjects(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("subject", flat=True))


@pytest.fixture
def items(now, draft, engineer, engineer2):
    today = MONDAY.date()
    Notification.objects.all().delete()  # the draft's "it is yours"
    return {
        "overdue": ActionItemFactory(postmortem=draft, owner=engineer, title="Add pool alerts",
                                     due_date=today - dt.timedelta(days=3)),
        "in_progress": ActionItemFactory(postmortem=draft, owner=engineer2, title="Runbook",
                                         due_date=today - dt.timedelta(days=1), status=ActionItemStatus.IN_PROGRESS),
        "due_today": ActionItemFactory(postmortem=draft, owner=engineer, title="Due today", due_date=today),
        "done": ActionItemFactory(postmortem=draft, owner=engineer, title="Done already",
                                  due_date=today - dt.timedelta(days=9), status=ActionItemStatus.DONE,
                                  completed_at=MONDAY),
        "no_owner": ActionItemFactory(postmortem=draft, owner=None, title="Nobody's",
                                      due_date=today - dt.timedelta(days=9)),
    }


def test_owners_of_overdue_open_items_get_one_reminder_per_item_per_day(items, engineer, engineer2, now):
    assert action_items_remind_overdue() == 2
    assert subjects(engineer) == ["Overdue action item: Add pool alerts"]
    assert subjects(engineer2) == ["Overdue action item: Runbook"]
    body = Notification.objects.get(recipient=engineer).body
    assert "was due on 2026-03-06 (3 days ago) and is still open" in body

    # Later sweeps the same day write nothing.
    now.shift(dt.timedelta(hours=5))
    assert action_items_remind_overdue() == 0
    assert Notification.objects.count() == 2

    # The next day, one more each.
    now.shift(dt.timedelta(days=1))
    assert action_items_remind_overdue() == 3  # "due today" is overdue by now
    assert subjects(engineer) == ["Overdue action item: Add pool alerts"] * 2 + ["Overdue action item: Due today"]


def test_done_items_stop_being_chased(items, engineer, now):
    action_item_set_status(item=items["overdue"], user=engineer, status=ActionItemStatus.DONE)
    assert action_items_remind_overdue() == 1
    assert subjects(engineer) == []


def test_a_webhook_channel_doubles_the_rows_but_not_the_reminders(items, engineer, now):
    oncall_profile_set(user=engineer, webhook_url="https://chat.example.com/hook")
    assert action_items_remind_overdue() == 2
    channels = Notification.objects.filter(recipient=engineer).values_list("channel", flat=True)
    assert sorted(channels) == [NotificationChannel.EMAIL, NotificationChannel.WEBHOOK]


def test_drafts_past_their_review_date_remind_the_owner_daily(now, service, engineer, engineer2):
    incident = resolved_incident(service=service, user=engineer)
    stale = draft_for(incident, resolver=engineer, review_due_at=MONDAY - dt.timedelta(hours=1))
    draft_for(resolved_incident(service=service, user=engineer2), resolver=engineer2,
              review_due_at=MONDAY + dt.timedelta(hours=1))
    Notification.objects.all().delete()

    assert postmortems_remind_review_overdue() == 1
    assert postmortems_remind_review_overdue() == 0
    assert subjects(engineer) == [f"Post-mortem review overdue: {incident.reference} {stale.title}"]
    assert subjects(engineer2) == []

    now.shift(dt.timedelta(days=1))
    assert postmortems_remind_review_overdue() == 2  # the second draft is overdue now too


def test_weekly_digest_goes_to_each_teams_managers_once_a_week(items, team, manager, engineer, now):
    second_manager = member(team, TeamRole.MANAGER, username="max", first_name="Max", last_name="Manager")
    Notification.objects.all().delete()

    assert action_items_send_weekly_digest() == 2
    assert action_items_send_weekly_digest() == 2  # found already written: no new rows
    assert Notification.objects.count() == 2
    digest = Notification.objects.get(recipient=manager)
    assert digest.subject == "Payments: 2 overdue post-mortem action items"
    assert "Add pool alerts — Erin Engineer — due 2026-03-06 (3 days overdue)" in digest.body
    assert "Runbook — Eli Engineer" in digest.body
    assert "Due today" not in digest.body
    assert subjects(second_manager) == [digest.subject]

    now.shift(dt.timedelta(days=3))  # same ISO week
    action_items_send_weekly_digest()
    assert Notification.objects.count() == 2
    now.shift(dt.timedelta(days=4))  # next Monday
    action_items_send_weekly_digest()
    assert Notification.objects.count() == 4


def test_teams_without_overdue_items_get_no_digest(now, draft, manager):
    Notification.objects.all().delete()
    assert action_items_send_weekly_digest() == 0
    assert not Notification.objects.exists()


def test_tasks_are_thin_wrappers(items, now, manager):
    assert tasks.remind_overdue_action_items() == 2
    assert tasks.remind_overdue_reviews() == 0
    assert tasks.send_weekly_digest() == 1
    assert tasks.draft_missing_postmortems() == 0


def test_the_command_runs_every_sweep_once(items, now, manager):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("postmortem_sweeps", stdout=out)
    assert out.getvalue().splitlines() == [
        "Drafted missing post-mortems: 0",
        "Reminded owners of overdue reviews: 0",
        "Reminded owners of overdue action items: 2",
        "Weekly digests written or already sent: 1",
    ]
    with pytest.raises(CommandError, match="Unknown sweep"):
        call_command("postmortem_sweeps", "nope", stdout=StringIO())
