"""The heartbeat ping endpoint: `GET` or `POST /integrations/heartbeat/<key>/`. Machine-to-machine like the other
ingestion endpoints (served ahead of sessions and CSRF: incidents/ingestion/handler.py): the key in the path is the
credential, the body is ignored (never read), and the answer is a small JSON document."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from incidents.services.heartbeats import heartbeat_ping


def _json(data: dict, status: int, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def heartbeat_ping_view(request: HttpRequest, key: str) -> HttpResponse:
    if request.method not in ("GET", "POST", "HEAD"):
        return _json({"status": "method not allowed", "message": "Ping with GET or POST."}, 405, Allow="GET, POST")
    monitor = heartbeat_ping(key=key)
    if monitor is None:
        return _json({"status": "not found", "message": "No active heartbeat monitor has this key."}, 404)
    return _json({"status": "ok", "monitor": monitor.name, "pinged_at": monitor.last_ping_at.isoformat()}, 200,
                 **{"Cache-Control": "no-store"})
