"""The ingestion endpoints: PagerDuty Events API v2 (`POST /integrations/v2/enqueue`) and Alertmanager webhooks
(`POST /integrations/alertmanager/`). Machine-to-machine: no session, no CSRF token, the integration key is the
credential, and the answers keep the senders' own shapes (they are not part of /api/v1).

Kept thin and cheap, because an alert storm is when they are called most: read at most the size limit, parse,
find the integration in the per-process cache, count the rate limit, and hand over to the services.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.errors import ApplicationError
from incidents.ingestion import alertmanager, events_v2
from incidents.ingestion.counters import event_counted
from incidents.ingestion.keys import integration_for_key
from incidents.ingestion.limits import rate_limit_allows
from incidents.ingestion.services import alertmanager_ingest, event_v2_ingest
from incidents.models import IntegrationKind

EVENTS_V2_MAX_BYTES = 512 * 1024  # PagerDuty's documented limit
# A notification carries a whole alert group; Alertmanager's max_alerts keeps big groups under this.
ALERTMANAGER_MAX_BYTES = 4 * 1024 * 1024
THROTTLED = {"status": "throttle exceeded", "message": "Requests for this integration are arriving too quickly. "
             "Please retry later."}


def _json(data: dict, status: int, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _read(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` bytes (checked on Content-Length before reading anything)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _not_post(request: HttpRequest) -> HttpResponse | None:
    if request.method == "POST":
        return None
    return _json({"status": "method not allowed", "message": "Send events with POST."}, 405, Allow="POST")


def _too_large(limit: int) -> HttpResponse:
    return _json({"status": "payload too large", "message": f"The body is over {limit // 1024} KB."}, 413)


def _invalid_event(errors: list[str]) -> HttpResponse:
    return _json({"status": "invalid event", "message": "Event object is invalid", "errors": errors}, 400)


@csrf_exempt
def events_v2_enqueue(request: HttpRequest) -> HttpResponse:
    if (refused := _not_post(request)) is not None:
        return refused
    body = _read(request, EVENTS_V2_MAX_BYTES)
    if body is None:
        return _too_large(EVENTS_V2_MAX_BYTES)
    try:
        event = events_v2.from_body(body)
    except events_v2.InvalidEvent as exc:
        return _invalid_event(exc.errors)
    integration = integration_for_key(event.routing_key)
    if integration is None or integration.kind != IntegrationKind.EVENTS_V2:
        return _invalid_event(["Invalid routing key"])
    if not rate_limit_allows(integration):
        return _json(THROTTLED, 429, Retry_After="60")
    now = timezone.now()
    try:
        outcome = event_v2_ingest(integration=integration, event=event, now=now)
    except ApplicationError as exc:
        return _invalid_event([exc.message])
    event_counted(integration.pk, now)
    return _json({"status": "success", "message": "Event processed", "dedup_key": outcome.dedup_key}, 202)


def _bearer(request: HttpRequest) -> str:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
def alertmanager_webhook(request: HttpRequest, key: str = "") -> HttpResponse:
    if (refused := _not_post(request)) is not None:
        return refused
    integration = integration_for_key(key or _bearer(request))
    if integration is None or integration.kind != IntegrationKind.ALERTMANAGER:
        if key:
            return _json({"status": "not found", "message": "No Alertmanager integration has this key."}, 404)
        return _json(
            {"status": "unauthorized", "message": "Send an Alertmanager integration's key as a bearer token."}, 401,
            WWW_Authenticate='Bearer realm="watchkeeper-integrations"',
        )
    limit = ALERTMANAGER_MAX_BYTES
    body = _read(request, limit)
    if body is None:
        return _too_large(limit)
    try:
        notification = alertmanager.parse(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError):
        notification, errors = None, ["The request body is not valid JSON."]
    except alertmanager.InvalidNotification as exc:
        notification, errors = None, exc.errors
    if notification is None:
        return _json({"status": "invalid notification", "message": "Notification is invalid", "errors": errors}, 400)
    if not rate_limit_allows(integration):
        return _json(THROTTLED, 429, Retry_After="60")
    now = timezone.now()
    try:
        outcome = alertmanager_ingest(integration=integration, notification=notification, now=now)
    except ApplicationError as exc:
        return _json({"status": "invalid notification", "message": exc.message, "errors": [exc.message]}, 400)
    event_counted(integration.pk, now)
    return _json(
        {"status": "success", "message": "Notification processed", "dedup_key": outcome.dedup_key,
         "incident_id": outcome.incident_id},
        200,
    )

