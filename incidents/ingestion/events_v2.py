"""PagerDuty Events API v2 alert events (`POST /v2/enqueue`), validated as PagerDuty documents them.

Every problem is named, in PagerDuty's wording where it has one, so a sender's log says what to fix. No
database access here: the routing key is checked for shape only (keys.py looks it up).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32
DEDUP_KEY_MAX = 255
SUMMARY_MAX = 1024
OPTIONAL_PAYLOAD_STRINGS = ("component", "group", "class")


@dataclass(slots=True)
class Event:
    routing_key: str
    action: str
    dedup_key: str  # generated for a trigger sent without one
    summary: str = ""
    source: str = ""
    severity: str = ""  # the sender's (critical, error, warning, info); empty for acknowledge/resolve
    timestamp: dt.datetime | None = None
    raw: dict | None = None
    text: str = ""  # the event as received, routing key redacted: what Alert.payload stores

    def stored_payload(self) -> dict | str:
        """The event to store: its JSON text as received (no re-encoding), without the routing key."""
        if self.text:
            return self.text
        return {k: v for k, v in (self.raw or {}).items() if k != "routing_key"}


class InvalidEvent(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def decode(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidEvent(["The request body is not valid JSON."]) from exc
    if not isinstance(data, dict):
        raise InvalidEvent(["The event must be a JSON object."])
    return data


def from_body(body: bytes) -> Event:
    """The event in a request body. Raises InvalidEvent naming every problem."""
    data = decode(body)
    try:
        text = body.decode()
    except UnicodeDecodeError:  # JSON in UTF-16 or -32: stored re-encoded
        text = ""
    return parse(data, text=text)


def _blank(value) -> bool:
    return not isinstance(value, str) or not value.strip()


def routing_key_errors(key) -> list[str]:
    if key is None or key == "":
        return ["'routing_key' is missing or blank."]
    if not isinstance(key, str):
        return ["'routing_key' must be a string."]
    errors = []
    if len(key) != ROUTING_KEY_LENGTH:
        errors.append(f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters).")
    if not (key.isascii() and key.isalnum()):
        errors.append("'routing_key' cannot contain non-alphanumeric characters.")
    return errors


def _payload_errors(payload) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or is not an object."]
    errors = []
    summary = payload.get("summary")
    if _blank(summary):
        errors.append("'payload.summary' is missing or blank.")
    elif len(summary) > SUMMARY_MAX:
        errors.append(f"Length of 'payload.summary' is too long (maximum {SUMMARY_MAX} characters).")
    if _blank(payload.get("source")):
        errors.append("'payload.source' is missing or blank.")
    severity = payload.get("severity")
    if severity not in SEVERITIES:
        errors.append(f"'payload.severity' must be one of {', '.join(SEVERITIES)}.")
    timestamp = payload.get("timestamp")
    if timestamp is not None and _timestamp(timestamp) is None:
        errors.append("'payload.timestamp' is not an ISO 8601 date and time.")
    for name in OPTIONAL_PAYLOAD_STRINGS:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors.append(f"'payload.{name}' must be a string.")
    return errors


def _context_errors(data: dict, name: str, required: str) -> list[str]:
    items = data.get(name)
    if items is None:
        return []
    if not isinstance(items, list):
        return [f"'{name}' must be an array."]
    errors = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"'{name}[{index}]' must be an object.")
        elif _blank(item.get(required)):
            errors.append(f"'{name}[{index}].{required}' is missing or blank.")
    return errors


def _timestamp(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


REDACTED = "(redacted)"


def parse(data: dict, text: str = "") -> Event:
    """The event in `data` (a decoded JSON object; `text`, its JSON text if at hand). Raises InvalidEvent naming
    every problem."""
    errors = routing_key_errors(data.get("routing_key"))
    action = data.get("event_action")
    if _blank(action):
        errors.append("'event_action' is missing or blank.")
    elif action not in ACTIONS:
        errors.append(f"'event_action' must be one of {', '.join(ACTIONS)}.")
    dedup_key = data.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string.")
    elif dedup_key and len(dedup_key) > DEDUP_KEY_MAX:
        errors.append(f"Length of 'dedup_key' is too long (maximum {DEDUP_KEY_MAX} characters).")
    elif action in ("acknowledge", "resolve") and _blank(dedup_key):
        errors.append(f"'dedup_key' is required for {action} events.")
    payload = data.get("payload")
    if action == "trigger":
        errors += _payload_errors(payload)
    for name in ("client", "client_url"):
        if data.get(name) is not None and not isinstance(data[name], str):
            errors.append(f"'{name}' must be a string.")
    errors += _context_errors(data, "images", "src")
    errors += _context_errors(data, "links", "href")
    if errors:
        raise InvalidEvent(errors)

    dedup_key = (dedup_key or "").strip() or uuid.uuid4().hex
    key = data["routing_key"]
    # The key is 32 alphanumerics, so replacing it inside the JSON text leaves valid JSON.
    text = text.replace(key, REDACTED) if text else ""
    if action != "trigger":
        return Event(routing_key=key, action=action, dedup_key=dedup_key, raw=data, text=text)
    return Event(
        routing_key=key,
        action=action,
        dedup_key=dedup_key,
        text=text,
        summary=payload["summary"].strip(),
        source=payload["source"].strip(),
        severity=payload["severity"],
        timestamp=_timestamp(payload.get("timestamp")),
        raw=data,
    )


def description(event: Event) -> str:
    """The incident description for a trigger: the summary if the title had to be cut, then the details."""
    payload = (event.raw or {}).get("payload") or {}
    lines = [event.summary] if len(event.summary) > 255 else []
    lines.append(f"Source: {event.source}")
    for name in OPTIONAL_PAYLOAD_STRINGS:
        if payload.get(name):
            lines.append(f"{name.capitalize()}: {payload[name]}")
    client, client_url = event.raw.get("client"), event.raw.get("client_url")
    if client or client_url:
        lines.append(f"Sent by: {' '.join(part for part in (client, client_url) if part)}")
    lines += [f"Link: {link.get('text') or link['href']} {link['href']}" for link in event.raw.get("links") or []]
    return "\n".join(lines)
