"""Heartbeat monitors: create, edit, pause, rotate keys, receive pings, and the sweep that notices missed beats.

Guarantees:
- A ping is one short transaction on the monitor's row (found by the key's hash): it stamps the ping, moves the
  due time to ping + interval + grace and, when the monitor had opened an incident, resolves it (timeline entry
  by the monitor) in the same transaction.
- The sweep selects due monitors through the partial index heartbeat_due with FOR UPDATE SKIP LOCKED, so two
  sweeps at once never take the same monitor; the incident is declared with the dedup key "heartbeat:<id>",
  whose partial unique index (one open incident per service and key) makes a second one impossible anyway.
  A ping racing the sweep waits for the sweep's row lock, then sees the incident and resolves it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from config.errors import ApplicationError, ConflictError
from incidents.models import HeartbeatMonitor, IncidentSource, Service, Severity, TimelineEntry, TimelineKind
from incidents.models.heartbeat import HEARTBEAT_DUE
from incidents.models.integration import hash_key, new_key
from incidents.services.declare import incident_declare
from incidents.services.transitions import incident_transition
from oncall.selectors import is_team_manager

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("name", "interval", "grace", "severity", "paused", "is_active")
MIN_INTERVAL = dt.timedelta(seconds=30)
MAX_INTERVAL = dt.timedelta(days=31)
SWEEP_BATCH = 200


def heartbeat_url(key: str | None = None) -> str:
    """The URL the job calls (with its key), or the URL's shape."""
    return settings.SITE_URL + reverse("ingestion:heartbeat", args=[key or "KEY"])


def _check_manager(user, service: Service) -> None:
    if user is not None and not is_team_manager(user, service.team):
        raise PermissionDenied("Only a manager of the service's team can manage its heartbeat monitors.")


def _next_due(monitor: HeartbeatMonitor, since: dt.datetime) -> dt.datetime:
    return since + monitor.interval + monitor.grace


def _validate(monitor: HeartbeatMonitor) -> None:
    if not (monitor.name or "").strip():
        raise ApplicationError("Name the monitor after the job that pings it, e.g. “nightly backup”.", field="name")
    monitor.name = monitor.name.strip()
    if not isinstance(monitor.interval, dt.timedelta) or not MIN_INTERVAL <= monitor.interval <= MAX_INTERVAL:
        raise ApplicationError("The interval must be between 30 seconds and 31 days.", field="interval")
    if not isinstance(monitor.grace, dt.timedelta) or not dt.timedelta(0) <= monitor.grace <= MAX_INTERVAL:
        raise ApplicationError("The grace period must be between 0 and 31 days.", field="grace")
    if monitor.severity not in Severity.values:
        raise ApplicationError(f"Severity must be one of {', '.join(Severity.values)}.", field="severity")


def heartbeat_create(
    *, user, service: Service, name: str, interval: dt.timedelta, grace: dt.timedelta = dt.timedelta(minutes=1),
    severity: str = Severity.P3, paused: bool = False, now: dt.datetime | None = None,
) -> tuple[HeartbeatMonitor, str]:
    """Add a monitor to a service; returns it with its ping key, which is stored nowhere (only its SHA-256): show
    it now. The first beat is due one interval + grace from now. Only the team's managers may (user=None: the
    command line). Raises PermissionDenied, ApplicationError."""
    _check_manager(user, service)
    if not service.is_active:
        raise ApplicationError("This service is inactive.", field="service")
    now = now or timezone.now()
    monitor = HeartbeatMonitor(
        service=service, name=name or "", interval=interval, grace=grace, severity=severity, paused=paused
    )
    _validate(monitor)
    monitor.next_due_at = _next_due(monitor, now)
    for _ in range(3):  # 190-bit keys do not collide; the unique index would settle it if one did
        key = new_key()
        monitor.set_key(key)
        try:
            with transaction.atomic():
                monitor.save()
        except IntegrityError:
            continue
        return monitor, key
    raise ApplicationError("Could not create a key; try again.")


def _lock(monitor: HeartbeatMonitor | int) -> HeartbeatMonitor:
    pk = monitor.pk if isinstance(monitor, HeartbeatMonitor) else monitor
    return HeartbeatMonitor.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)


@transaction.atomic
def heartbeat_update(*, user, monitor: HeartbeatMonitor | int, now: dt.datetime | None = None,
                     **changes) -> HeartbeatMonitor:
    """Edit a monitor (name, interval, grace, severity, paused, is_active). Resuming or changing the timing counts
    the next beat from now, so a monitor paused for a week does not alert the moment it resumes.
    Raises PermissionDenied, ApplicationError."""
    locked = _lock(monitor)
    _check_manager(user, locked.service)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    was = {f: getattr(locked, f) for f in EDITABLE_FIELDS}
    for field, value in changes.items():
        setattr(locked, field, value)
    _validate(locked)
    now = now or timezone.now()
    restart = (was["paused"] and not locked.paused) or (not was["is_active"] and locked.is_active) or (
        (was["interval"], was["grace"]) != (locked.interval, locked.grace)
    )
    if restart:
        locked.next_due_at = _next_due(locked, max(now, locked.last_ping_at or now))
    locked.save()
    return locked


def heartbeat_pause(*, user, monitor: HeartbeatMonitor | int, paused: bool = True,
                    now: dt.datetime | None = None) -> HeartbeatMonitor:
    """Pause (or resume) checking a monitor, e.g. while its job is switched off on purpose."""
    return heartbeat_update(user=user, monitor=monitor, paused=paused, now=now)


@transaction.atomic
def heartbeat_rotate_key(*, user, monitor: HeartbeatMonitor | int,
                         now: dt.datetime | None = None) -> tuple[HeartbeatMonitor, str]:
    """Give the monitor a new ping key (the old one stops working at once); returns it with the key, shown once."""
    locked = _lock(monitor)
    _check_manager(user, locked.service)
    key = new_key()
    locked.set_key(key)
    locked.key_rotated_at = now or timezone.now()
    locked.save(update_fields=["key_prefix", "key_hash", "key_rotated_at"])
    return locked, key


@transaction.atomic
def heartbeat_delete(*, user, monitor: HeartbeatMonitor | int) -> None:
    locked = _lock(monitor)
    _check_manager(user, locked.service)
    locked.delete()


# --- pings --------------------------------------------------------------------------------------------------


def heartbeat_ping(*, key: str, now: dt.datetime | None = None) -> HeartbeatMonitor | None:
    """Record a ping for the active monitor with this key; None when there is none (the endpoint answers 404).
    When a missed beat had opened an incident, the ping resolves it (or, when people already moved it on,
    leaves a note), in the same transaction."""
    if not key or len(key) > 128:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        monitor = (
            HeartbeatMonitor.objects.select_for_update()
            .filter(key_hash=hash_key(key), is_active=True)
            .only("pk", "name", "service_id", "interval", "grace", "incident_id", "last_ping_at")
            .first()
        )
        if monitor is None:
            return None
        incident_id = monitor.incident_id
        HeartbeatMonitor.objects.filter(pk=monitor.pk).update(
            last_ping_at=now, next_due_at=_next_due(monitor, now), pings_received=F("pings_received") + 1,
            incident=None,
        )
        if incident_id is not None:
            _resolve(monitor, incident_id, now=now)
        monitor.last_ping_at, monitor.incident_id = now, None
    return monitor


def _resolve(monitor: HeartbeatMonitor, incident_id: int, *, now: dt.datetime) -> None:
    note = f"The heartbeat “{monitor.name}” pinged again at {now:%Y-%m-%d %H:%M:%S} UTC."
    try:
        with transaction.atomic():
            incident_transition(incident=incident_id, user=None, heartbeat=monitor, action="resolve", note=note)
    except (ConflictError, PermissionDenied):
        # Already resolved by a person (or moved to another service): record the recovery all the same.
        TimelineEntry.objects.create(
            incident_id=incident_id, kind=TimelineKind.HEARTBEAT, at=now, note=note,
            data={"heartbeat": monitor.pk, "event": "ping"},
        )
    except ApplicationError as exc:  # a guard, e.g. a P1 without an Incident Commander
        TimelineEntry.objects.create(
            incident_id=incident_id, kind=TimelineKind.HEARTBEAT, at=now,
            note=f"{note} It could not resolve the incident: {exc.message}",
            data={"heartbeat": monitor.pk, "event": "ping"},
        )


# --- the sweep ----------------------------------------------------------------------------------------------


def heartbeats_due(now: dt.datetime):
    """The monitors whose beat is overdue, through the partial index heartbeat_due."""
    return HeartbeatMonitor.objects.filter(HEARTBEAT_DUE, next_due_at__lte=now)


def heartbeats_sweep(*, now: dt.datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Open an incident for each monitor whose beat is overdue; returns how many monitors it marked missed.
    Safe to run concurrently with itself and with pings (see the module docstring)."""
    now = now or timezone.now()
    done = 0
    failed: list[int] = []  # left for the next sweep, and skipped by this one's later batches
    while True:
        with transaction.atomic():
            batch = list(
                heartbeats_due(now).exclude(pk__in=failed).select_for_update(skip_locked=True, of=("self",))
                .select_related("service__team", "service__escalation_policy")
                .order_by("next_due_at")[:batch_size]
            )
            for monitor in batch:
                try:
                    _open_incident(monitor, now=now)  # its own savepoint: a failure undoes only this monitor
                except Exception:
                    logger.exception("Could not open the incident of heartbeat monitor %s; the next sweep retries",
                                     monitor.pk)
                    failed.append(monitor.pk)
        done += len(batch) - sum(1 for monitor in batch if monitor.pk in failed)
        if len(batch) < batch_size:
            return done


def _open_incident(monitor: HeartbeatMonitor, *, now: dt.datetime) -> None:
    expected_at = monitor.next_due_at - monitor.grace
    last = f"{monitor.last_ping_at:%Y-%m-%d %H:%M:%S} UTC" if monitor.last_ping_at else "never"
    if not monitor.service.is_active:
        # Nothing to page for an inactive service; look again one interval later.
        HeartbeatMonitor.objects.filter(pk=monitor.pk).update(next_due_at=now + monitor.interval)
        return
    with transaction.atomic():
        incident, created = incident_declare(
            service=monitor.service, title=f"Missed heartbeat: {monitor.name}", severity=monitor.severity,
            description=(
                f"The heartbeat monitor “{monitor.name}” expects a ping every {monitor.interval} "
                f"(grace {monitor.grace}). Last ping: {last}. The next ping resolves this incident."
            ),
            dedup_key=monitor.dedup_key, source=IncidentSource.HEARTBEAT, detected_at=now,
            impact_started_at=min(expected_at, now),
        )
        TimelineEntry.objects.create(
            incident=incident, kind=TimelineKind.HEARTBEAT, at=now,
            note=f"No ping from “{monitor.name}” since {last}; one was expected by "
            f"{expected_at:%Y-%m-%d %H:%M:%S} UTC.",
            data={"heartbeat": monitor.pk, "event": "missed", "created": created},
        )
        HeartbeatMonitor.objects.filter(pk=monitor.pk).update(incident=incident)
