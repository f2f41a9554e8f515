"""oncall's generic "cancel pending messages about a topic": by topic, kind and key prefix; sent rows stay."""

import pytest

from oncall.models import Notification, NotificationKind, NotificationStatus
from oncall.services.notifications import notification_enqueue, notifications_cancel_pending
from tests.factories.oncall import UserFactory

pytestmark = pytest.mark.django_db


def enqueue(user, key, *, topic="incident:7", kind=NotificationKind.PAGE):
    return notification_enqueue(recipient=user, subject="s", body="b", idempotency_key=key, topic=topic, kind=kind)[0]


def test_it_cancels_only_pending_rows_matching_topic_kind_and_prefix():
    user = UserFactory()
    escalation = enqueue(user, "incident:7:page:1:1")
    direct = enqueue(user, "incident:7:direct:3:1")
    reminder = enqueue(user, "incident:7:reminder:1", kind=NotificationKind.REMINDER)
    elsewhere = enqueue(user, "incident:8:page:1:1", topic="incident:8")
    sent = enqueue(user, "incident:7:page:1:2")
    Notification.objects.filter(pk=sent.pk).update(status=NotificationStatus.SENT)

    count = notifications_cancel_pending(topics=["incident:7"], kind=NotificationKind.PAGE,
                                         key_prefixes=["incident:7:page:"], reason="In maintenance.")

    assert count == 1
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses[escalation.pk] == NotificationStatus.CANCELLED
    assert {statuses[r.pk] for r in (direct, reminder, elsewhere)} == {NotificationStatus.PENDING}
    assert statuses[sent.pk] == NotificationStatus.SENT
    assert Notification.objects.get(pk=escalation.pk).last_error == "In maintenance."
