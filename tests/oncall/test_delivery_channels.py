"""Delivery channels: the signed webhook POST (chat incoming webhooks included) and email."""

import hashlib
import hmac
import json

import pytest
from django.core import mail

from oncall.delivery import DeliveryError, send
from oncall.delivery.webhook import payload, signature
from oncall.models import Notification, NotificationChannel, NotificationKind, OnCallProfile
from oncall.services import notification_enqueue
from tests.factories.oncall import UserFactory
from tests.realworld.harness import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


@pytest.fixture
def paul(receiver):
    user = UserFactory(username="paul", first_name="Paul", last_name="Payments", email="paul@example.com")
    profile = OnCallProfile.objects.create(user=user, webhook_url=receiver.url)
    receiver.secret = profile.webhook_secret
    return user


def enqueue(user, **extra) -> dict[str, Notification]:
    rows = notification_enqueue(
        recipient=user, subject="[P1] INC-7 Checkout down — you are paged", body="Acknowledge it.",
        link="https://wk.example.com/incidents/7/", idempotency_key="incident:7:page:1:1", kind=NotificationKind.PAGE,
        topic="incident:7", data={"incident_id": 7, "level": 1}, **extra,
    )
    return {row.channel: row for row in rows}


def test_a_profile_with_a_webhook_gets_email_and_webhook_rows(paul):
    rows = enqueue(paul)
    assert set(rows) == {NotificationChannel.EMAIL, NotificationChannel.WEBHOOK}
    assert rows["webhook"].idempotency_key == "incident:7:page:1:1:webhook"
    assert enqueue(paul)["webhook"].pk == rows["webhook"].pk  # same key: the same row
    assert Notification.objects.count() == 2


def test_the_webhook_is_a_signed_json_post_with_a_delivery_id(paul, receiver):
    row = enqueue(paul)["webhook"]
    send(row)
    (delivery,) = receiver.requests
    assert delivery.signature_ok
    assert delivery.delivery_id == "incident:7:page:1:1:webhook" == row.delivery_id
    body = delivery.body
    assert body["subject"] == "[P1] INC-7 Checkout down — you are paged"
    assert body["kind"] == "page" and body["data"] == {"incident_id": 7, "level": 1}
    # Chat incoming webhooks (Slack, Mattermost, Google Chat) show `text`.
    assert body["text"].startswith("*[P1] INC-7 Checkout down") and body["text"].endswith(row.link)


def test_the_signature_is_hmac_sha256_of_the_raw_body():
    body = json.dumps({"a": 1}).encode()
    assert signature(body, "s3cret") == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


def test_a_server_error_is_retryable_a_client_error_is_not(paul, receiver):
    row = enqueue(paul)["webhook"]
    receiver.fail_with = 503
    with pytest.raises(DeliveryError) as retryable:
        send(row)
    assert not retryable.value.permanent and "HTTP 503" in retryable.value.message
    receiver.fail_with = 404
    with pytest.raises(DeliveryError) as permanent:
        send(row)
    assert permanent.value.permanent
    receiver.fail_with = 429
    with pytest.raises(DeliveryError) as throttled:
        send(row)
    assert not throttled.value.permanent


def test_a_slow_receiver_times_out(paul, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.slow_first = 1.0
    with pytest.raises(DeliveryError, match="failed") as slow:
        send(enqueue(paul)["webhook"])
    assert not slow.value.permanent


def test_an_unreachable_receiver_is_retryable(paul):
    OnCallProfile.objects.filter(user=paul).update(webhook_url="http://127.0.0.1:9/nothing-listens-here")
    with pytest.raises(DeliveryError) as unreachable:
        send(enqueue(paul)["webhook"])
    assert not unreachable.value.permanent


def test_a_removed_webhook_url_fails_for_good(paul):
    row = enqueue(paul)["webhook"]
    OnCallProfile.objects.filter(user=paul).update(webhook_url="")
    with pytest.raises(DeliveryError) as gone:
        send(row)
    assert gone.value.permanent


def test_email_goes_to_the_profile_address_with_the_delivery_id(paul):
    OnCallProfile.objects.filter(user=paul).update(email="pager-paul@example.com")
    send(enqueue(paul)["email"])
    (message,) = mail.outbox
    assert message.to == ["pager-paul@example.com"]
    assert message.subject == "[P1] INC-7 Checkout down — you are paged"
    assert message.extra_headers["X-Watchkeeper-Delivery"] == "incident:7:page:1:1:email"
    assert message.extra_headers["Message-ID"] == "<incident.7.page.1.1.email@watchkeeper.invalid>"
    assert "https://wk.example.com/incidents/7/" in message.body


def test_email_without_any_address_fails_for_good():
    nobody = UserFactory(username="nomail", email="")
    with pytest.raises(DeliveryError) as no_address:
        send(enqueue(nobody)["email"])
    assert no_address.value.permanent


def test_the_payload_names_the_recipient(paul):
    row = enqueue(paul)["webhook"]
    assert payload(row)["recipient"] == {"username": "paul", "name": "Paul Payments"}
