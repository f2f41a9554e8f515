from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from incidents.models.noise import REASON_MAX_LENGTH, NoiseVerdict
from incidents.models.service import Service
from incidents.models.severity import Severity


class IncidentState(models.TextChoices):
    DETECTED = "detected", "Detected"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    RESOLVING = "resolving", "Resolving"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


S = IncidentState
OPEN_STATES = (S.DETECTED, S.ACKNOWLEDGED, S.INVESTIGATING, S.IDENTIFIED, S.RESOLVING)
# States a P1 may only leave with an Incident Commander assigned.
BEYOND_INVESTIGATING = (S.IDENTIFIED, S.RESOLVING, S.RESOLVED)


# The predicates of the sweeps' partial indexes. The sweeps filter with these same Q objects, so PostgreSQL
# can prove the index applies.
ESCALATION_DUE = Q(next_escalation_at__isnull=False)
ACK_SLA_RUNNING = Q(state=S.DETECTED, ack_breached_at__isnull=True, ack_deadline__isnull=False)
MAINTENANCE_HOLD = Q(paging_held_until__isnull=False)
UPDATE_NOT_REMINDED = Q(next_update_due_at__isnull=False) & (
    Q(update_reminded_for__isnull=True)
    | Q(update_reminded_for__lt=models.F("next_update_due_at"))
    | Q(update_reminded_for__gt=models.F("next_update_due_at"))
)


class IncidentSource(models.TextChoices):
    MANUAL = "manual", "Declared by a person"
    API = "api", "REST API"
    INTEGRATION = "integration", "Monitoring integration"
    HEARTBEAT = "heartbeat", "Missed heartbeat"


def has_commander_if_p1(incident: "Incident") -> bool:
    return incident.severity != Severity.P1 or incident.has_active_role("commander")


def has_resolution_summary(incident: "Incident") -> bool:
    return bool((incident.resolution_summary or "").strip())


class Incident(FSMModelMixin, models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incidents")
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.P3)
    state = FSMField(default=S.DETECTED, choices=IncidentState.choices, protected=True)
    dedup_key = models.CharField(max_length=255, null=True, blank=True)
    source = models.CharField(max_length=16, choices=IncidentSource.choices, default=IncidentSource.MANUAL)
    war_room = models.CharField(max_length=120, blank=True)

    impact_started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    investigating_at = models.DateTimeField(null=True, blank=True)
    identified_at = models.DateTimeField(null=True, blank=True)
    resolving_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    ack_deadline = models.DateTimeField(null=True, blank=True)
    ack_breached_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the acknowledgement deadline passed unacknowledged."
    )
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    update_reminded_for = models.DateTimeField(
        null=True, blank=True, help_text="The update due time the last reminder was for."
    )

    # Paging (incidents.services.paging): the escalation policy frozen at declaration, and the due work.
    escalation_policy_name = models.CharField(max_length=120, blank=True)
    escalation_snapshot = models.JSONField(
        default=list, blank=True, help_text="The policy's levels as they were when the incident was declared."
    )
    escalation_cycle = models.PositiveSmallIntegerField(default=1, help_text="1, then one more per reopen.")
    escalation_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Level delays count from here (detection, or the reopen)."
    )
    next_escalation_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next level is due; empty when nothing is left to page."
    )
    escalation_ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When this cycle's escalation stopped (acknowledged, resolved…)."
    )
    # Urgency hours and maintenance windows (incidents.services.paging.urgency / .maintenance).
    paging_deferred_until = models.DateTimeField(
        null=True, blank=True, help_text="Paging waits for the team's working hours until then (P3/P4 at night)."
    )
    paging_held_until = models.DateTimeField(
        null=True, blank=True, help_text="In maintenance: nobody is paged until then, then level 1 again."
    )
    maintenance_window = models.ForeignKey(
        "incidents.MaintenanceWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The maintenance window holding this incident's paging.",
    )

    resolution_summary = models.TextField(blank=True)
    false_alarm = models.BooleanField(default=False)
    # Noise review (incidents.services.noise): the responders' latest verdict; "false_alarm" ⇔ false_alarm.
    noise_verdict = models.CharField(max_length=16, choices=NoiseVerdict.choices, blank=True)
    noise_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    noise_verdict_at = models.DateTimeField(null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dedup_key"],
                condition=Q(dedup_key__isnull=False, state__in=OPEN_STATES),
                name="one_open_incident_per_dedup_key",
            ),
            models.CheckConstraint(
                condition=Q(impact_started_at__isnull=True) | Q(impact_started_at__lte=models.F("detected_at")),
                name="impact_starts_before_detection",
            ),
        ]
        indexes = [
            # Every list's order (pages, API, admin): read in this order a page stops after its rows, a keyset
            # page starts right at its cursor, and the columns lists filter on most (service, state, severity)
            # ride along, so the admin's ids and counts come from the index alone, not the wide table rows.
            models.Index(fields=["-detected_at", "-id"], include=["service", "state", "severity"],
                         name="incident_detected_order"),
            # A severity filter (P1s are a few percent of all incidents) in list order: the rows of that severity
            # alone, instead of every incident's index entry checked against it.
            models.Index(fields=["severity", "-detected_at", "-id"], include=["service", "state"],
                         name="incident_severity_order"),
            models.Index(fields=["state", "-detected_at"], name="incident_state_detected"),
            models.Index(fields=["service", "-detected_at"], name="incident_service_detected"),
            # Recurrence (insights): each incident's previous one with the same service and key, read in this
            # order from the index alone instead of sorting every incident of the window.
            models.Index(fields=["service", "dedup_key", "detected_at", "id"], include=["false_alarm"],
                         name="incident_recurrence"),
            # MTBF (metrics): each failure's previous one on its service, read in this order from the index
            # alone (false_alarm carried) instead of sorting the window's incidents.
            models.Index(fields=["service", "detected_at"], include=["false_alarm"], name="incident_service_failures"),
            # The paging sweeps' due work. Partial, so each index holds only rows with work pending and a
            # sweep's cost follows the due rows, not the size of the table.
            models.Index(fields=["next_escalation_at"], condition=ESCALATION_DUE, name="incident_escalation_due"),
            models.Index(fields=["ack_deadline"], condition=ACK_SLA_RUNNING, name="incident_ack_sla_due"),
            models.Index(fields=["next_update_due_at"], condition=UPDATE_NOT_REMINDED, name="incident_update_due"),
            models.Index(fields=["paging_held_until"], condition=MAINTENANCE_HOLD, name="incident_maintenance_end_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def save(self, *args, **kwargs) -> None:
        # Noise review's invariant, whichever path changed false_alarm (resolve, edit, the verdict itself):
        # the verdict "false alarm" ⇔ false_alarm, so the metrics' false-positive rate and the review agree.
        if self.false_alarm and self.noise_verdict != NoiseVerdict.FALSE_ALARM:
            self.noise_verdict = NoiseVerdict.FALSE_ALARM
        elif not self.false_alarm and self.noise_verdict == NoiseVerdict.FALSE_ALARM:
            self.noise_verdict = ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "false_alarm" in update_fields:
            kwargs["update_fields"] = {*update_fields, "noise_verdict"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    def has_active_role(self, role: str) -> bool:
        if self.pk is None:
            return False
        return self.role_assignments.filter(role=role, relieved_at__isnull=True).exists()

    # Transitions change state only; services stamp times, lock rows and write the timeline.
    @transition(field=state, source=S.DETECTED, target=S.ACKNOWLEDGED)
    def acknowledge(self) -> None:
        pass

    @transition(field=state, source=S.ACKNOWLEDGED, target=S.INVESTIGATING)
    def investigate(self) -> None:
        pass

    @transition(field=state, source=S.INVESTIGATING, target=S.IDENTIFIED, conditions=[has_commander_if_p1])
    def identify(self) -> None:
        pass

    @transition(field=state, source=S.IDENTIFIED, target=S.RESOLVING, conditions=[has_commander_if_p1])
    def mitigate(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=S.RESOLVED, conditions=[has_commander_if_p1])
    def resolve(self) -> None:
        pass

    @transition(field=state, source=S.RESOLVED, target=S.CLOSED, conditions=[has_resolution_summary])
    def close(self) -> None:
        pass

    @transition(field=state, source=S.RESOLVED, target=S.INVESTIGATING)
    def reopen(self) -> None:
        pass
