"""Prometheus Alertmanager webhook notifications (webhook_config, body version "4"), validated.

One notification is one alert group (`groupKey`) with the alerts Alertmanager currently has in it, each with
its own status. Watchkeeper keeps one incident per open group and one Alert row per fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

STATUSES = ("firing", "resolved")
DEDUP_KEY_MAX = 255
SUMMARY_MAX = 1024
# Alertmanager writes "0001-01-01T00:00:00Z" for "no end yet".
ZERO_TIME_YEAR = 1


@dataclass(slots=True)
class AmAlert:
    status: str
    fingerprint: str
    labels: dict
    annotations: dict
    starts_at: dt.datetime | None
    raw: dict

    @property
    def summary(self) -> str:
        text = self.annotations.get("summary") or self.labels.get("alertname") or self.fingerprint
        return str(text)[:SUMMARY_MAX]


@dataclass(slots=True)
class Notification:
    group_key: str
    dedup_key: str  # the group key, hashed when longer than an incident's dedup key may be
    status: str
    receiver: str
    group_labels: dict
    common_labels: dict
    common_annotations: dict
    external_url: str
    truncated_alerts: int
    alerts: list[AmAlert]

    @property
    def firing(self) -> list[AmAlert]:
        return [alert for alert in self.alerts if alert.status == "firing"]

    def title(self) -> str:
        """The `summary` annotation (common to the group, else the first firing alert's), else the alert name."""
        first = (self.firing or self.alerts)[0]
        title = (
            self.common_annotations.get("summary")
            or first.annotations.get("summary")
            or self.common_labels.get("alertname")
            or self.group_labels.get("alertname")
            or first.labels.get("alertname")
            or "Alertmanager alert"
        )
        return str(title).strip() or "Alertmanager alert"

    def description(self) -> str:
        first = (self.firing or self.alerts)[0]
        lines = []
        text = self.common_annotations.get("description") or first.annotations.get("description")
        if text:
            lines.append(str(text))
        if self.group_labels:
            lines.append("Group: " + ", ".join(f"{k}={v}" for k, v in sorted(self.group_labels.items())))
        if self.external_url:
            lines.append(f"Alertmanager: {self.external_url}")
        if self.receiver:
            lines.append(f"Receiver: {self.receiver}")
        return "\n".join(lines)

    def impact_started_at(self) -> dt.datetime | None:
        starts = [alert.starts_at for alert in self.firing if alert.starts_at is not None]
        return min(starts) if starts else None


class InvalidNotification(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _time(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None or parsed.year == ZERO_TIME_YEAR:
        return None
    return parsed


def _string_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _fingerprint(labels: dict) -> str:
    """For senders older than Alertmanager 0.19, which sent no fingerprint: one from the label set."""
    text = "\x00".join(f"{k}\x00{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _alert(index: int, item, errors: list[str]) -> AmAlert | None:
    where = f"'alerts[{index}]"
    if not isinstance(item, dict):
        errors.append(f"{where}' must be an object.")
        return None
    before = len(errors)
    if item.get("status") not in STATUSES:
        errors.append(f"{where}.status' must be firing or resolved.")
    labels = item.get("labels")
    if not _string_map(labels):
        errors.append(f"{where}.labels' must be an object of strings.")
    annotations = item.get("annotations", {})
    if not _string_map(annotations):
        errors.append(f"{where}.annotations' must be an object of strings.")
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and (not isinstance(fingerprint, str) or len(fingerprint) > 255):
        errors.append(f"{where}.fingerprint' must be a string of at most 255 characters.")
    if item.get("startsAt") is not None and not isinstance(item["startsAt"], str):
        errors.append(f"{where}.startsAt' must be an RFC 3339 date and time.")
    if len(errors) > before:
        return None
    return AmAlert(
        status=item["status"],
        fingerprint=fingerprint or _fingerprint(labels),
        labels=labels,
        annotations=annotations,
        starts_at=_time(item.get("startsAt")),
        raw=item,
    )


def parse(data) -> Notification:
    """The notification in `data` (decoded JSON). Raises InvalidNotification naming every problem."""
    if not isinstance(data, dict):
        raise InvalidNotification(["The notification must be a JSON object."])
    errors = []
    version = data.get("version")
    if version is not None and version != "4":
        errors.append("'version' must be \"4\" (Alertmanager's webhook format).")
    group_key = data.get("groupKey")
    if not isinstance(group_key, str) or not group_key.strip():
        errors.append("'groupKey' is missing or blank.")
    if data.get("status") not in STATUSES:
        errors.append("'status' must be firing or resolved.")
    for name in ("groupLabels", "commonLabels", "commonAnnotations"):
        if data.get(name) is not None and not _string_map(data[name]):
            errors.append(f"'{name}' must be an object of strings.")
    for name in ("receiver", "externalURL"):
        if data.get(name) is not None and not isinstance(data[name], str):
            errors.append(f"'{name}' must be a string.")
    truncated = data.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        errors.append("'truncatedAlerts' must be a whole number.")
    items = data.get("alerts")
    alerts: list[AmAlert] = []
    if not isinstance(items, list) or not items:
        errors.append("'alerts' must be a non-empty array.")
    else:
        for index, item in enumerate(items):
            alert = _alert(index, item, errors)
            if alert is not None:
                alerts.append(alert)
    if errors:
        raise InvalidNotification(errors)

    # A fingerprint appears once per notification; if a sender repeats one, its last state counts.
    by_fingerprint = {alert.fingerprint: alert for alert in alerts}
    group_key = group_key.strip()
    dedup_key = group_key
    if len(group_key) > DEDUP_KEY_MAX:
        dedup_key = "groupKey:sha256:" + hashlib.sha256(group_key.encode()).hexdigest()
    return Notification(
        group_key=group_key,
        dedup_key=dedup_key,
        status=data["status"],
        receiver=data.get("receiver") or "",
        group_labels=data.get("groupLabels") or {},
        common_labels=data.get("commonLabels") or {},
        common_annotations=data.get("commonAnnotations") or {},
        external_url=data.get("externalURL") or "",
        truncated_alerts=truncated,
        alerts=list(by_fingerprint.values()),
    )
