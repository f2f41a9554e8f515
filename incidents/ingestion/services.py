"""Ingestion services: events and notifications into incidents and alerts; integrations and their keys.

Semantics (PagerDuty's for Events API v2, docs/integrations in the README):
- a trigger for a (service, dedup key) with an open incident adds an Alert to it; with none, it declares one
  through incident_declare (escalation frozen, level 1 paged after commit, team access granted);
- acknowledge/resolve act on the open incident for the key, as the integration (incident_transition with
  `integration=`), every lifecycle guard included; with no open incident they are dropped (still accepted);
- after resolution the same key opens a new incident (the partial unique index covers open incidents only).
Alertmanager: one incident per open group (groupKey), one Alert row per fingerprint; the incident resolves
when Alertmanager reports the group resolved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from config.errors import ApplicationError, ConflictError
from incidents.ingestion import alertmanager, events_v2
from incidents.ingestion.keys import IntegrationRef, integration_changed, service_of
from incidents.ingestion.writes import AlertRow, alerts_add_to_open_incident
from incidents.models import (
    Alert,
    AlertAction,
    Incident,
    IncidentSource,
    Integration,
    IntegrationKind,
    Service,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.integration import new_key
from incidents.services.declare import incident_declare
from incidents.services.transitions import incident_transition
from oncall.selectors import is_team_manager

TITLE_MAX = 255


@dataclass(frozen=True, slots=True)
class Outcome:
    dedup_key: str
    incident_id: int | None  # None: dropped (acknowledge/resolve, or a resolved group, with nothing open)
    created: bool = False


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def _impact_start(at: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    # A sender's clock ahead of ours must not put the impact after the detection (a check constraint).
    return at if at is not None and at <= now else None


def _check_service(ref: IntegrationRef) -> None:
    if not ref.service_active:
        raise ApplicationError("The service of this integration is inactive.")


# --- PagerDuty Events API v2 ---------------------------------------------------------------------------------


def event_v2_ingest(*, integration: IntegrationRef, event: events_v2.Event, now: dt.datetime | None = None) -> Outcome:
    """Apply one Events API v2 event. Guarantees: when this returns, the event is stored as an Alert (unless it
    was an acknowledge/resolve with no open incident, which PagerDuty drops too); a trigger on an open incident
    is one statement; simultaneous first triggers of one key open exactly one incident.
    Raises ApplicationError when the integration's service is inactive."""
    _check_service(integration)
    now = now or timezone.now()
    row = AlertRow(
        received_at=now, dedup_key=event.dedup_key, action=event.action, summary=event.summary,
        payload=event.stored_payload(), severity=integration.severity_for(event.severity) if event.severity else "",
        source=event.source,
    )
    if event.action == "trigger":
        return _trigger(integration, event, row, now)
    return _acknowledge_or_resolve(integration, event.dedup_key, row, action=event.action)


def _trigger(integration: IntegrationRef, event: events_v2.Event, row: AlertRow, now: dt.datetime) -> Outcome:
    incident_id = alerts_add_to_open_incident(
        service_id=integration.service_id, integration_id=integration.pk, dedup_key=event.dedup_key, rows=[row]
    )
    if incident_id is not None:
        return Outcome(event.dedup_key, incident_id)
    with transaction.atomic():
        incident, created = incident_declare(
            service=service_of(integration), title=_title(event.summary), severity=row.severity,
            description=events_v2.description(event), dedup_key=event.dedup_key, source=IncidentSource.INTEGRATION,
            detected_at=now, impact_started_at=_impact_start(event.timestamp, now),
        )
        _store(integration, incident, [row])
    return Outcome(event.dedup_key, incident.pk, created)


def _store(integration: IntegrationRef, incident: Incident, rows: list[AlertRow], *, upsert: bool = False) -> None:
    """Store rows on an incident this transaction has just declared or found open (and holds locked)."""
    stored = alerts_add_to_open_incident(
        service_id=incident.service_id, integration_id=integration.pk, dedup_key=incident.dedup_key, rows=rows,
        upsert=upsert,
    )
    if stored != incident.pk:  # cannot happen while the row is locked; never answer 202 for an unstored event
        raise IntegrityError(f"Alert not stored on incident {incident.pk}")


def _acknowledge_or_resolve(integration: IntegrationRef, dedup_key: str, row: AlertRow, *, action: str) -> Outcome:
    with transaction.atomic():
        incident_id = alerts_add_to_open_incident(
            service_id=integration.service_id, integration_id=integration.pk, dedup_key=dedup_key, rows=[row]
        )
        if incident_id is None:
            return Outcome(dedup_key, None)
        _act(integration, incident_id, action, note="")
    return Outcome(dedup_key, incident_id)


def _act(integration: IntegrationRef, incident_id: int, action: str, *, note: str) -> None:
    """Acknowledge or resolve as the integration. Already done (or moved past): nothing to do. A guard that
    refuses (a P1 needs an Incident Commander before it is resolved) leaves a note on the timeline instead."""
    try:
        with transaction.atomic():
            incident_transition(incident=incident_id, user=None, integration=integration, action=action, note=note)
    except (ConflictError, PermissionDenied):  # moved on meanwhile, or moved to another service
        return
    except ApplicationError as exc:
        TimelineEntry.objects.create(
            incident_id=incident_id, kind=TimelineKind.NOTE, actor=None, at=timezone.now(),
            note=f"The integration “{integration.name}” asked to {action}, which was not done: {exc.message}",
            data={"integration": integration.pk, "action": action},
        )


# --- Alertmanager -----------------------------------------------------------------------------------------------


def _alert_rows(integration: IntegrationRef, notification: alertmanager.Notification, now) -> list[AlertRow]:
    return [
        AlertRow(
            received_at=now, dedup_key=notification.dedup_key, action=alert.status, summary=alert.summary,
            payload=alert.raw, severity=integration.severity_for(alert.labels.get("severity")),
            source=alert.labels.get("instance", "")[:255], fingerprint=alert.fingerprint,
        )
        for alert in notification.alerts
    ]


def _group_severity(integration: IntegrationRef, notification: alertmanager.Notification) -> str:
    """The worst severity among the firing alerts' `severity` labels (else the group's common label)."""
    labels = [alert.labels.get("severity") for alert in notification.firing if alert.labels.get("severity")]
    if not labels and notification.common_labels.get("severity"):
        labels = [notification.common_labels["severity"]]
    mapped = [integration.severity_for(label) for label in labels]
    return min(mapped) if mapped else integration.default_severity


def alertmanager_ingest(
    *, integration: IntegrationRef, notification: alertmanager.Notification, now: dt.datetime | None = None
) -> Outcome:
    """Apply one Alertmanager notification. Guarantees: each alert of it is stored (one row per fingerprint per
    incident, updated by later notifications) unless the group is resolved with nothing open; a group opens at
    most one incident at a time; the incident is resolved, as the integration and with a timeline entry, when
    Alertmanager reports the whole group resolved. Raises ApplicationError when the service is inactive."""
    _check_service(integration)
    now = now or timezone.now()
    rows = _alert_rows(integration, notification, now)
    key = notification.dedup_key
    if notification.status == "firing":
        incident_id = alerts_add_to_open_incident(
            service_id=integration.service_id, integration_id=integration.pk, dedup_key=key, rows=rows, upsert=True
        )
        if incident_id is not None:
            return Outcome(key, incident_id)
        if not notification.firing:  # "firing" with only resolved alerts in it: nothing to open
            return Outcome(key, None)
        with transaction.atomic():
            incident, created = incident_declare(
                service=service_of(integration), title=_title(notification.title()),
                severity=_group_severity(integration, notification), description=notification.description(),
                dedup_key=key, source=IncidentSource.INTEGRATION, detected_at=now,
                impact_started_at=_impact_start(notification.impact_started_at(), now),
            )
            _store(integration, incident, rows, upsert=True)
        return Outcome(key, incident.pk, created)

    with transaction.atomic():
        incident_id = alerts_add_to_open_incident(
            service_id=integration.service_id, integration_id=integration.pk, dedup_key=key, rows=rows, upsert=True
        )
        if incident_id is None:
            return Outcome(key, None)
        # Alertmanager says the whole group is resolved; alerts it left out (max_alerts) are resolved too.
        Alert.objects.filter(incident_id=incident_id, action=AlertAction.FIRING).update(
            action=AlertAction.RESOLVED, last_received_at=now
        )
        _act(integration, incident_id, "resolve", note="Alertmanager reports every alert of the group resolved.")
    return Outcome(key, incident_id)


# --- integrations and their keys -----------------------------------------------------------------------------


def integration_url(kind: str, key: str | None = None) -> str:
    """The URL a sender is configured with (Alertmanager: the form with the key in the path, if given)."""
    if kind == IntegrationKind.ALERTMANAGER:
        path = reverse("ingestion:alertmanager_key", args=[key]) if key else reverse("ingestion:alertmanager")
    else:
        path = reverse("ingestion:enqueue")
    return settings.SITE_URL + path


def _check_manager(user, service: Service) -> None:
    if user is not None and not is_team_manager(user, service.team):
        raise PermissionDenied("Only a manager of the service's team can manage its integrations.")


def _check_fields(integration: Integration) -> None:
    from django.core.exceptions import ValidationError

    try:
        integration.full_clean(exclude=["service"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(" ".join(messages), field=field) from exc


def integration_create(
    *, user, service: Service, name: str, kind: str, **fields
) -> tuple[Integration, str]:
    """Attach an integration to a service; returns it with its key, which is stored nowhere (only its SHA-256):
    show it now. Only the team's managers may (user=None: the command line). Raises PermissionDenied,
    ApplicationError."""
    _check_manager(user, service)
    if kind not in IntegrationKind.values:
        raise ApplicationError(f"Kind must be one of {', '.join(IntegrationKind.values)}.", field="kind")
    if not (name or "").strip():
        raise ApplicationError("Name the integration after what sends to it, e.g. “Prometheus (prod)”.", field="name")
    integration = Integration(service=service, name=name.strip(), kind=kind, **fields)
    for _ in range(3):  # 190-bit keys do not collide; the unique index would settle it if one did
        key = new_key()
        integration.set_key(key)
        _check_fields(integration)
        try:
            with transaction.atomic():
                integration.save()
        except IntegrityError:
            continue
        return integration, key
    raise ApplicationError("Could not create a key; try again.")


def integration_rotate_key(*, user, integration: Integration | int) -> tuple[Integration, str]:
    """Give the integration a new key and return it (shown once). The old key stops working at once in this
    process and within INGESTION_KEY_CACHE_SECONDS everywhere. Raises PermissionDenied."""
    pk = integration.pk if isinstance(integration, Integration) else integration
    with transaction.atomic():
        locked = Integration.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)
        _check_manager(user, locked.service)
        key = new_key()
        locked.set_key(key)
        locked.key_rotated_at = timezone.now()
        locked.save(update_fields=["key_prefix", "key_hash", "key_rotated_at"])
        transaction.on_commit(integration_changed)
    return locked, key


EDITABLE_FIELDS = ("name", "severity_mapping", "default_severity", "rate_limit_per_minute", "is_active")


def integration_update(*, user, integration: Integration, **changes) -> Integration:
    """Edit an integration's settings (not its kind, service or key). Raises PermissionDenied, ApplicationError."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Integration.objects.select_for_update(of=("self",)).select_related("service__team").get(
            pk=integration.pk
        )
        _check_manager(user, locked.service)
        for field, value in changes.items():
            setattr(locked, field, value)
        _check_fields(locked)
        locked.save(update_fields=[*changes] or None)
        transaction.on_commit(integration_changed)
    return locked

