import pytest
from django.urls import reverse

from oncall.models import Notification, NotificationStatus, TeamRole
from tests.factories import member

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:oncall_notification_changelist"


def failed_notification(recipient, key="k1"):
    return Notification.objects.create(
        recipient=recipient, channel="email", subject="Page: INC-1", body="wake up", idempotency_key=key,
        status=NotificationStatus.FAILED, attempts=8, last_error="SMTP refused",
    )


def test_manager_retries_a_failed_notification_of_their_team(client, team, manager, engineer):
    notification = failed_notification(engineer)
    client.force_login(manager)
    response = client.post(
        reverse(CHANGELIST), {"action": "retry_selected", "_selected_action": [notification.pk]}, follow=True
    )
    assert response.status_code == 200
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert "queued for delivery again" in response.content.decode()


def test_sent_notifications_are_not_retried(client, team, manager, engineer):
    notification = failed_notification(engineer)
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENT)
    client.force_login(manager)
    response = client.post(
        reverse(CHANGELIST), {"action": "retry_selected", "_selected_action": [notification.pk]}, follow=True
    )
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert "only failed or cancelled" in response.content.decode()


def test_other_teams_notifications_are_invisible_and_not_retried(client, team, other_team, outsider):
    other_manager = member(other_team, TeamRole.MANAGER, username="olga")
    notification = failed_notification(member(team, TeamRole.ENGINEER, username="pat"))
    client.force_login(other_manager)
    assert "Page: INC-1" not in client.get(reverse(CHANGELIST)).content.decode()
    client.post(reverse(CHANGELIST), {"action": "retry_selected", "_selected_action": [notification.pk]})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
