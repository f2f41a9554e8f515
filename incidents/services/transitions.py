"""The lifecycle. Each action locks the incident row, so of two people acting at once exactly one
wins and the other gets a ConflictError naming what happened instead."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from config.errors import ApplicationError, ConflictError
from incidents import close_checks, signals
from incidents.models import Incident, Severity, TimelineEntry, TimelineKind
from incidents.models.incident import has_commander_if_p1, has_resolution_summary
from incidents.selectors import can_act_on_incident, can_close_incident, can_view_incident
from incidents.services import paging
from incidents.sla import ack_deadline, next_update_due, policy_for

# action -> timestamp it stamps
STAMPS = {
    "acknowledge": "acknowledged_at",
    "investigate": "investigating_at",
    "identify": "identified_at",
    "mitigate": "resolving_at",
    "resolve": "resolved_at",
    "close": "closed_at",
    "reopen": None,
}
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "investigate": "Start investigating",
    "identify": "Cause identified",
    "mitigate": "Mitigating",
    "resolve": "Resolve",
    "close": "Close",
    "reopen": "Reopen",
}


def _lock(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "Watchkeeper"


def _conflict_message(incident: Incident, action: str) -> str:
    if action == "acknowledge" and incident.acknowledged_at:
        return (
            f"{incident.reference} was already acknowledged by {_name(incident.acknowledged_by)} "
            f"at {incident.acknowledged_at:%H:%M:%S} UTC."
        )
    last = (
        TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION)
        .select_related("actor").order_by("-at", "-id").first()
    )
    by = f" by {last.actor_name}" if last else ""
    return (
        f"Cannot {ACTION_LABELS[action].lower()}: {incident.reference} is already "
        f"{incident.get_state_display().lower()}{by}."
    )


def _unmet_condition(incident: Incident, action: str) -> str | None:
    method = getattr(incident, action)
    if can_proceed(method):
        return None
    if not has_commander_if_p1(incident):
        return "A P1 incident needs an Incident Commander before it moves past investigating."
    if action == "close" and not has_resolution_summary(incident):
        return "Write a resolution summary before closing."
    return "This transition's conditions are not met."


# What a monitoring integration may do to an incident on its own service (PagerDuty's event actions).
INTEGRATION_ACTIONS = ("acknowledge", "resolve")


def incident_transition(
    *, incident: Incident | int, user, action: str, note: str = "", integration=None, heartbeat=None, **fields
) -> Incident:
    """Run one lifecycle action. Guarantees: permission checked on the locked row, state changed by the
    django-fsm transition only, its timestamp stamped, one timeline entry written, other apps told
    after commit. Raises Http404-worthy PermissionDenied, ConflictError (state moved on), or
    ApplicationError (a guard such as the P1 commander rule is not met).

    `integration` (with `user=None`): a monitoring integration acting on an incident of its own service, which
    its key already authorised; it may only acknowledge or resolve, and every guard still applies.
    `heartbeat` (with `user=None`): likewise a heartbeat monitor whose ping came back (resolve only)."""
    if heartbeat is not None and (user is not None or integration is not None or action != "resolve"):
        raise ApplicationError(f"A heartbeat monitor cannot {action} incidents.")
    if action not in STAMPS:
        raise ApplicationError(f"Unknown action “{action}”.")
    if integration is not None and (user is not None or action not in INTEGRATION_ACTIONS):
        raise ApplicationError(f"An integration cannot {action} incidents.")
    with transaction.atomic():
        locked = _lock(incident)
        if heartbeat is not None:
            if locked.service_id != heartbeat.service_id:
                raise PermissionDenied("A heartbeat monitor acts on its own service's incidents only.")
        elif integration is not None:
            if locked.service_id != integration.service_id:
                raise PermissionDenied("An integration acts on its own service's incidents only.")
        elif not can_view_incident(user, locked) or not can_act_on_incident(user, locked):
            raise PermissionDenied("You may not act on this incident.")
        if action == "close" and not can_close_incident(user, locked):
            raise PermissionDenied("Only the Incident Commander or a team manager can close an incident.")
        if not can_proceed(getattr(locked, action), check_conditions=False):
            raise ConflictError(_conflict_message(locked, action))
        if action == "close":
            summary = fields.get("resolution_summary")
            if summary is not None:
                locked.resolution_summary = summary
            reasons = close_checks.reasons_not_to_close(locked)
            if reasons:
                raise ApplicationError(" ".join(reasons))
        if "false_alarm" in fields and action in ("resolve", "close"):
            locked.false_alarm = bool(fields["false_alarm"])
        reason = _unmet_condition(locked, action)
        if reason:
            raise ApplicationError(reason)

        now = timezone.now()
        from_state = locked.state
        getattr(locked, action)()
        if STAMPS[action]:
            setattr(locked, STAMPS[action], now)
        if action == "acknowledge":
            locked.acknowledged_by = user
        if action == "reopen":
            locked.resolved_at = None
            locked.investigating_at = now
        policy = policy_for(locked.severity)
        if action in ("resolve", "close"):
            locked.next_update_due_at = None
        elif action == "reopen":
            locked.next_update_due_at = next_update_due(locked, policy, last_update_at=now)
        locked.save()
        data = {"action": action}
        if integration is not None:
            data.update(integration=integration.pk, integration_name=integration.name)
            note = note or f"By the integration “{integration.name}”."
        if heartbeat is not None:
            data.update(heartbeat=heartbeat.pk, heartbeat_name=heartbeat.name)
            note = note or f"By the heartbeat monitor “{heartbeat.name}”."
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.TRANSITION, actor=user, at=now,
            from_state=from_state, to_state=locked.state, note=note, data=data,
        )
        paging.escalation_after_transition(locked, action=action, user=user, now=now)
        actor_id = user.pk if user else None
        transaction.on_commit(
            lambda: signals.incident_transitioned.send(
                sender=Incident, incident_id=locked.pk, actor_id=actor_id, transition=action,
                from_state=from_state, to_state=locked.state,
            )
        )
    return locked


def incident_acknowledge(*, incident, user, note: str = "") -> Incident:
    return incident_transition(incident=incident, user=user, action="acknowledge", note=note)


def incident_investigate(*, incident, user, note: str = "") -> Incident:
    return incident_transition(incident=incident, user=user, action="investigate", note=note)


def incident_identify(*, incident, user, note: str = "") -> Incident:
    return incident_transition(incident=incident, user=user, action="identify", note=note)


def incident_mitigate(*, incident, user, note: str = "") -> Incident:
    return incident_transition(incident=incident, user=user, action="mitigate", note=note)


def incident_resolve(*, incident, user, note: str = "", false_alarm: bool | None = None) -> Incident:
    extra = {} if false_alarm is None else {"false_alarm": false_alarm}
    return incident_transition(incident=incident, user=user, action="resolve", note=note, **extra)


def incident_close(*, incident, user, note: str = "", resolution_summary: str | None = None) -> Incident:
    return incident_transition(
        incident=incident, user=user, action="close", note=note, resolution_summary=resolution_summary
    )


def incident_reopen(*, incident, user, note: str = "") -> Incident:
    return incident_transition(incident=incident, user=user, action="reopen", note=note)


def incident_change_severity(*, incident, user, severity: str, note: str = "") -> Incident:
    """Change severity while the incident is open; recomputes the acknowledgement deadline and the
    status-update clock from the new policy. Raises PermissionDenied, ConflictError, ApplicationError."""
    if severity not in Severity.values:
        raise ApplicationError(f"Severity must be one of {', '.join(Severity.values)}.", field="severity")
    with transaction.atomic():
        locked = _lock(incident)
        if not can_act_on_incident(user, locked):
            raise PermissionDenied("You may not act on this incident.")
        if not locked.is_open:
            raise ConflictError(f"{locked.reference} is {locked.get_state_display().lower()}; reopen it first.")
        if locked.severity == severity:
            return locked
        old = locked.severity
        locked.severity = severity
        policy = policy_for(severity)
        locked.ack_deadline = ack_deadline(locked, policy)
        last_update = locked.status_updates.order_by("-posted_at").values_list("posted_at", flat=True).first()
        locked.next_update_due_at = next_update_due(locked, policy, last_update_at=last_update or locked.detected_at)
        paging.escalation_after_severity_change(locked)
        locked.save()
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.SEVERITY, actor=user, at=timezone.now(), note=note,
            data={"from": old, "to": severity},
        )
        actor_id = user.pk if user else None
        transaction.on_commit(
            lambda: signals.incident_severity_changed.send(
                sender=Incident, incident_id=locked.pk, actor_id=actor_id, from_severity=old, to_severity=severity
            )
        )
    return locked
