"""Webhooks: a signed JSON POST. A chat incoming-webhook URL (Slack, Mattermost, Google Chat, Rocket.Chat)
works as a target because the payload carries the message as `text`; custom receivers verify the signature
and dedupe on the delivery id."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings

from oncall.delivery.errors import DeliveryError
from oncall.models import Notification, OnCallProfile

USER_AGENT = "Watchkeeper-Webhook/1"
# 408 Request Timeout, 425 Too Early and 429 Too Many Requests are worth retrying; other 4xx are not.
RETRYABLE_CLIENT_ERRORS = {408, 425, 429}


def signature(body: bytes, secret: str) -> str:
    """The X-Watchkeeper-Signature value: HMAC-SHA256 of the raw body with the recipient's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(notification: Notification) -> dict:
    recipient = notification.recipient
    text = f"*{notification.subject}*\n{notification.body}" + (f"\n{notification.link}" if notification.link else "")
    return {
        "delivery_id": notification.delivery_id,
        "notification_id": notification.pk,
        "kind": notification.kind,
        "topic": notification.topic,
        "subject": notification.subject,
        "body": notification.body,
        "link": notification.link,
        "text": text,
        "recipient": {"username": recipient.get_username(), "name": recipient.get_full_name()},
        "created_at": notification.created_at.isoformat(),
        "data": notification.data or {},
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer we do not follow: it surfaces as an HTTPError


_opener = urllib.request.build_opener(_NoRedirects)


def send(notification: Notification) -> None:
    profile = OnCallProfile.objects.filter(user_id=notification.recipient_id).first()
    if profile is None or not profile.webhook_url:
        raise DeliveryError(f"{notification.recipient} has no webhook URL any more.", permanent=True)
    body = json.dumps(payload(notification), separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(
        profile.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Watchkeeper-Delivery": notification.delivery_id,
            "X-Watchkeeper-Event": notification.kind,
            "X-Watchkeeper-Signature": signature(body, profile.webhook_secret),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in RETRYABLE_CLIENT_ERRORS
        raise DeliveryError(f"Webhook answered HTTP {exc.code}.", permanent=permanent) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(f"Webhook call failed: {getattr(exc, 'reason', exc)}") from exc
