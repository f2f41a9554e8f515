import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from config.errors import ApplicationError
from incidents import signals
from incidents.models import (
    OPEN_STATES,
    Incident,
    IncidentSource,
    Service,
    Severity,
    SeverityPolicy,
    TimelineEntry,
    TimelineKind,
)
from incidents.selectors import can_act_on_incident
from incidents.services import paging
from incidents.services.paging.holds import paging_wait_note
from incidents.services.permissions import incident_grant_team_access
from incidents.sla import ack_deadline, next_update_due, policy_for


def severity_policy_for(severity: str) -> SeverityPolicy:
    return policy_for(severity)


def proposed_war_room(title: str, at: dt.datetime) -> str:
    return f"#incident-{at:%Y-%m-%d}-{slugify(title)[:60].strip('-') or 'incident'}"


def _validate(*, title: str, severity: str, impact_started_at, detected_at) -> None:
    if not title or not title.strip():
        raise ApplicationError("Give the incident a title.", field="title")
    if severity not in Severity.values:
        raise ApplicationError(f"Severity must be one of {', '.join(Severity.values)}.", field="severity")
    if impact_started_at and impact_started_at > detected_at:
        raise ApplicationError("Impact cannot start after the incident was detected.", field="impact_started_at")


def incident_declare(
    *,
    service: Service,
    title: str,
    severity: str = Severity.P3,
    user=None,
    description: str = "",
    dedup_key: str | None = None,
    source: str = IncidentSource.MANUAL,
    impact_started_at: dt.datetime | None = None,
    detected_at: dt.datetime | None = None,
    war_room: str = "",
) -> tuple[Incident, bool]:
    """Open an incident, or fold the alert into the open incident with the same dedup key.

    Returns (incident, created). Two callers racing on one dedup key get the same incident: the
    partial unique constraint lets one insert win and the other re-reads the winner.
    Raises PermissionDenied when `user` may not declare on the service, ApplicationError on bad input.
    """
    if user is not None and not user.has_perm("incidents.declare_incident", service):
        raise PermissionDenied("You may not declare incidents on this service.")
    if not service.is_active:
        raise ApplicationError("This service is inactive.", field="service")
    detected_at = detected_at or timezone.now()
    _validate(title=title, severity=severity, impact_started_at=impact_started_at, detected_at=detected_at)
    dedup_key = (dedup_key or "").strip() or None

    with transaction.atomic():
        if dedup_key:
            existing = _open_with_key(service, dedup_key)
            if existing is not None:
                _record_duplicate(existing, user=user, title=title)
                return existing, False
        policy = policy_for(severity)
        incident = Incident(
            service=service,
            title=title.strip(),
            description=description,
            severity=severity,
            dedup_key=dedup_key,
            source=source,
            impact_started_at=impact_started_at,
            detected_at=detected_at,
            declared_by=user,
            war_room=war_room or proposed_war_room(title, detected_at),
        )
        incident.ack_deadline = ack_deadline(incident, policy)
        incident.next_update_due_at = next_update_due(incident, policy, last_update_at=detected_at)
        paging.escalation_freeze(incident)
        try:
            with transaction.atomic():
                incident.save()
        except IntegrityError:
            winner = _open_with_key(service, dedup_key) if dedup_key else None
            if winner is None:
                raise
            _record_duplicate(winner, user=user, title=title)
            return winner, False
        TimelineEntry.objects.create(
            incident=incident,
            kind=TimelineKind.DECLARED,
            actor=user,
            at=detected_at,
            to_state=incident.state,
            note=f"Declared as {severity} by {_name(user)} ({incident.get_source_display()}).",
            data={"severity": severity, "source": source, "dedup_key": dedup_key,
                  "escalation_policy": incident.escalation_policy_name},
        )
        paging_wait_note(incident, at=detected_at)  # "paging deferred until Mon 09:00" / "in maintenance"
        incident_grant_team_access(incident=incident)
        if incident.next_escalation_at is not None:
            # Level 1 is paged by a worker right after commit (or by the next paging sweep if the broker is
            # down): the declaration itself stays short, and the page can never precede the incident.
            transaction.on_commit(lambda: paging.kick(incident.pk), robust=True)
        actor_id = user.pk if user else None
        transaction.on_commit(
            lambda: signals.incident_declared.send(sender=Incident, incident_id=incident.pk, actor_id=actor_id)
        )
    return incident, True


def _open_with_key(service: Service, dedup_key: str) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .filter(service=service, dedup_key=dedup_key, state__in=OPEN_STATES)
        .first()
    )


def _record_duplicate(incident: Incident, *, user, title: str) -> None:
    TimelineEntry.objects.create(
        incident=incident, kind=TimelineKind.DEDUPLICATED, actor=user, at=timezone.now(),
        note=f"Another alert with the same dedup key: {title}",
    )


def _name(user) -> str:
    if user is None:
        return "an integration"
    return user.get_full_name() or user.get_username()


EDITABLE_FIELDS = ("title", "description", "war_room", "impact_started_at", "false_alarm", "resolution_summary")


@transaction.atomic
def incident_update(*, incident: Incident, user, **changes) -> Incident:
    """Edit an incident's descriptive fields (and move it to another service). Writes one timeline
    entry naming what changed. Raises PermissionDenied, ApplicationError."""
    locked = Incident.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=incident.pk)
    if not can_act_on_incident(user, locked):
        raise PermissionDenied("You may not change this incident.")
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"service"}
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    changed = {}
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(locked, field) != changes[field]:
            changed[field] = changes[field]
            setattr(locked, field, changes[field])
    if "title" in changed and not str(changed["title"]).strip():
        raise ApplicationError("Give the incident a title.", field="title")
    if locked.impact_started_at and locked.impact_started_at > locked.detected_at:
        raise ApplicationError("Impact cannot start after the incident was detected.", field="impact_started_at")
    new_service = changes.get("service")
    moved = new_service is not None and new_service.pk != locked.service_id
    if moved and not user.has_perm("incidents.declare_incident", new_service):
        raise PermissionDenied("You may not move incidents to that service.")
    if moved:
        old_service = locked.service
        locked.service = new_service
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.SERVICE, actor=user, at=timezone.now(),
            note=f"Moved from {old_service} to {new_service}.",
            data={"from": old_service.pk, "to": new_service.pk},
        )
    if not changed and not moved:
        return locked
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ApplicationError("That service already has an open incident with this dedup key.") from exc
    if changed:
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.EDIT, actor=user, at=timezone.now(),
            note="Edited " + ", ".join(f.replace("_", " ") for f in changed) + ".",
            data={"fields": sorted(changed)},
        )
    if moved:
        incident_grant_team_access(incident=locked)
    return locked
