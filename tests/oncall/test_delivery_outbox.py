"""The outbox: delivery marks rows sent once, retries with backoff, gives up, is re-sent when its task was
lost, can be retried by a manager, and is handed to the broker only after commit."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied

from config.errors import ConflictError
from oncall.delivery import guards
from oncall.models import Notification, NotificationKind, NotificationStatus, OnCallProfile, TeamRole
from oncall.services import (
    notification_deliver,
    notification_enqueue,
    notification_retry,
    notifications_dispatch,
    notifications_resend_pending,
)
from oncall.services.notifications import backoff_seconds
from tests.factories.oncall import UserFactory, member
from tests.realworld.harness import WebhookReceiver

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def receiver():
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


@pytest.fixture
def paul(receiver):
    user = UserFactory(username="paul", first_name="Paul", last_name="Payments")
    profile = OnCallProfile.objects.create(user=user, webhook_url=receiver.url)
    receiver.secret = profile.webhook_secret
    return user


def webhook_row(user, key="incident:7:page:1:1") -> Notification:
    rows = notification_enqueue(recipient=user, subject="Paged", body="Wake up", idempotency_key=key,
                                kind=NotificationKind.PAGE)
    return next(row for row in rows if row.channel == "webhook")


def test_delivery_marks_the_row_sent_and_a_second_delivery_sends_nothing(paul, receiver, clock):
    row = webhook_row(paul)
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at, row.next_attempt_at) == ("sent", 1, T0, None)
    assert receiver.count() == (1, 1)


def test_a_failed_attempt_is_recorded_and_retried_with_exponential_backoff(paul, receiver, clock):
    row = webhook_row(paul)
    receiver.fail_with = 502
    waits = []
    for _ in range(3):
        outcome = notification_deliver(notification_id=row.pk)
        assert outcome.status == NotificationStatus.PENDING
        waits.append(outcome.retry_in)
    row.refresh_from_db()
    assert row.attempts == 3 and row.last_error == "Webhook answered HTTP 502."
    assert 9 <= waits[0] <= 11 and 18 <= waits[1] <= 22 and 36 <= waits[2] <= 44
    assert row.next_attempt_at == T0 + dt.timedelta(seconds=waits[2])
    receiver.fail_with = None
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT


def test_backoff_is_capped():
    assert 810 <= backoff_seconds(30) <= 990


def test_it_gives_up_after_the_last_attempt(paul, receiver, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    receiver.fail_with = 500
    row = webhook_row(paul)
    notification_deliver(notification_id=row.pk)
    outcome = notification_deliver(notification_id=row.pk)
    assert outcome.status == NotificationStatus.FAILED and outcome.retry_in is None
    row.refresh_from_db()
    assert row.next_attempt_at is None and row.attempts == 2


def test_a_permanent_failure_is_not_retried(paul, receiver):
    receiver.fail_with = 410
    row = webhook_row(paul)
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.FAILED
    assert receiver.count() == (1, 1)


def test_a_guard_can_cancel_a_message_that_is_no_longer_true(paul, receiver):
    def veto(notification):
        return "Acknowledged meanwhile." if notification.kind == NotificationKind.PAGE else None

    guards.register(veto)
    try:
        row = webhook_row(paul)
        assert notification_deliver(notification_id=row.pk).status == NotificationStatus.CANCELLED
    finally:
        guards._guards.remove(veto)
    row.refresh_from_db()
    assert row.last_error == "Acknowledged meanwhile." and receiver.count() == (0, 0)


def test_the_resend_sweep_picks_only_rows_a_minute_overdue(paul, clock):
    row = webhook_row(paul)
    clock.shift(dt.timedelta(seconds=59))
    with mock.patch("oncall.services.notifications.notifications_dispatch") as dispatch:
        assert notifications_resend_pending() == 0
        clock.shift(dt.timedelta(seconds=2))
        assert notifications_resend_pending() == 2  # email and webhook
    row.refresh_from_db()
    assert row.next_attempt_at == T0 + dt.timedelta(seconds=61)  # not handed over again for another minute
    assert notifications_resend_pending() == 0
    dispatch.assert_not_called()  # handed over after commit only (the test transaction never commits)


def test_the_resend_sweep_leaves_sent_failed_and_scheduled_retries_alone(paul, receiver, clock):
    sent = webhook_row(paul, key="a")
    notification_deliver(notification_id=sent.pk)
    receiver.fail_with = 503
    retrying = webhook_row(paul, key="b")
    notification_deliver(notification_id=retrying.pk)  # next attempt in ~10 s
    Notification.objects.filter(channel="email").update(status=NotificationStatus.FAILED)
    clock.shift(dt.timedelta(seconds=65))
    due = notifications_resend_pending()
    assert due == 0


def test_a_resend_after_a_long_backoff_waits_for_it(paul, receiver, clock):
    receiver.fail_with = 503
    row = webhook_row(paul)
    Notification.objects.filter(channel="email").update(status=NotificationStatus.SENT)
    for _ in range(4):
        notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    clock.move_to(row.next_attempt_at + dt.timedelta(seconds=30))
    assert notifications_resend_pending() == 0
    clock.move_to(row.next_attempt_at + dt.timedelta(seconds=61))
    assert notifications_resend_pending() == 1


def test_rows_are_handed_to_the_broker_after_commit_only(paul, django_capture_on_commit_callbacks):
    with mock.patch("oncall.tasks.deliver_notification.apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            rows = notification_enqueue(recipient=paul, subject="s", body="b", idempotency_key="k")
        publish.assert_not_called()
        for callback in callbacks:
            callback()
    assert sorted(call.args[0] for call in publish.call_args_list) == sorted((row.pk,) for row in rows)


def test_an_unreachable_broker_leaves_rows_pending_and_raises_nothing(paul):
    row = webhook_row(paul)
    with mock.patch("oncall.tasks.deliver_notification.apply_async", side_effect=OSError("Connection refused")):
        assert notifications_dispatch([row.pk, row.pk + 1]) == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING


def test_the_deliver_task_retries_after_the_chosen_backoff(paul, receiver):
    from oncall.tasks import deliver_notification

    receiver.fail_with = 503
    row = webhook_row(paul)
    with (
        mock.patch.object(deliver_notification, "retry", side_effect=RuntimeError("retry")) as retry,
        pytest.raises(RuntimeError),
    ):
        deliver_notification.run(row.pk)
    assert 9 <= retry.call_args.kwargs["countdown"] <= 11


def test_email_rows_are_delivered_through_the_backend(paul):
    row = notification_enqueue(recipient=paul, subject="Hand-off", body="You are on call.", idempotency_key="h")[0]
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT
    assert mail.outbox[0].subject == "Hand-off"


def test_a_manager_of_the_recipients_team_retries_a_failed_notification(team, manager, engineer, outsider):
    OnCallProfile.objects.create(user=engineer, webhook_url="http://127.0.0.1:9/nothing")
    row = webhook_row(engineer)
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.FAILED, attempts=8, last_error="HTTP 500")
    with pytest.raises(PermissionDenied):
        notification_retry(notification=row, user=outsider)
    with pytest.raises(PermissionDenied):
        notification_retry(notification=row, user=engineer)
    retried = notification_retry(notification=row, user=manager)
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert retried.last_error == "Retried by mona; previously: HTTP 500"
    with pytest.raises(ConflictError):
        notification_retry(notification=row, user=manager)


def test_members_of_other_teams_are_not_retried_by_this_teams_manager(team, other_team, manager):
    stranger = member(other_team, TeamRole.ENGINEER, username="stranger")
    row = notification_enqueue(recipient=stranger, subject="s", body="b", idempotency_key="x")[0]
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.FAILED)
    with pytest.raises(PermissionDenied):
        notification_retry(notification=row, user=manager)
