"""Heartbeat monitors: a job or host calls its monitor's secret URL at least every `interval`; when no ping came
for interval + grace, the heartbeat sweep opens an incident on the monitor's service, and the next ping resolves it.

Like integration keys, only the ping key's SHA-256 is stored (unique index); the key is shown once when made or
rotated. The sweep's due work is `next_due_at` (last ping, or creation, + interval + grace), indexed partially for
the monitors that are active, not paused and not already alerting, so a sweep reads only the due rows.
"""

import datetime as dt

from django.db import models
from django.db.models import Q

from incidents.models.integration import hash_key
from incidents.models.service import Service
from incidents.models.severity import Severity

# The due monitors: what the sweep selects, with this same Q, so PostgreSQL can use the partial index.
HEARTBEAT_DUE = Q(is_active=True, paused=False, next_due_at__isnull=False, incident__isnull=True)


class HeartbeatMonitor(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="heartbeats")
    name = models.CharField(max_length=120)
    interval = models.DurationField(
        default=dt.timedelta(minutes=5), help_text="How often the job pings, e.g. 00:05:00 for every five minutes."
    )
    grace = models.DurationField(
        default=dt.timedelta(minutes=1), help_text="How late a ping may be before the heartbeat counts as missed."
    )
    severity = models.CharField(
        max_length=2, choices=Severity.choices, default=Severity.P3, help_text="Of the incident a missed beat opens."
    )
    key_prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the ping key.")
    paused = models.BooleanField(default=False, help_text="Paused monitors are not checked; a ping still counts.")
    is_active = models.BooleanField(default=True)
    last_ping_at = models.DateTimeField(null=True, blank=True, editable=False)
    pings_received = models.PositiveBigIntegerField(default=0, editable=False)
    next_due_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the heartbeat counts as missed without a new ping."
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False,
        help_text="The incident the missed heartbeat opened, until a ping resolves it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["service__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="heartbeat_key_hash_unique"),
            models.CheckConstraint(condition=Q(interval__gt=dt.timedelta(0)), name="heartbeat_interval_positive"),
            models.CheckConstraint(condition=Q(grace__gte=dt.timedelta(0)), name="heartbeat_grace_not_negative"),
        ]
        indexes = [models.Index(fields=["next_due_at"], condition=HEARTBEAT_DUE, name="heartbeat_due")]

    def __str__(self) -> str:
        return f"{self.name} ({self.service})"

    def set_key(self, key: str) -> None:
        self.key_prefix = key[:6]
        self.key_hash = hash_key(key)

    @property
    def dedup_key(self) -> str:
        """The incident's dedup key: one open incident per monitor, kept by one_open_incident_per_dedup_key."""
        return f"heartbeat:{self.pk}"

    @property
    def status(self) -> str:
        if not self.is_active:
            return "inactive"
        if self.paused:
            return "paused"
        if self.incident_id:
            return "missed"
        if self.last_ping_at is None:
            return "waiting"
        return "up"
