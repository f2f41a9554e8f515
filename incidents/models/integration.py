"""Monitoring integrations and the alerts they send.

An Integration is a key attached to a service: PagerDuty Events API v2 senders put it in the body
(`routing_key`), Alertmanager sends it as a bearer token. Only the key's SHA-256 is stored, so a leaked
database does not leak keys; lookups go by hash (unique index), and the key is shown once when made.

An Alert is one event as received, attached to the incident it opened or joined. Alertmanager's alerts are
one row per fingerprint (updated as their status changes); every Events API v2 event is a row of its own.
Metrics count alert volume from `received_at`, indexed with the service.
"""

import hashlib
import secrets
import string

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from incidents.models.service import Service
from incidents.models.severity import Severity

KEY_LENGTH = 32  # PagerDuty's routing keys are 32 alphanumeric characters; senders validate that shape.
KEY_ALPHABET = string.ascii_letters + string.digits


class IntegrationKind(models.TextChoices):
    EVENTS_V2 = "events_v2", "PagerDuty Events API v2"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"


# Events API v2 severities and Alertmanager's customary `severity` label values.
DEFAULT_SEVERITY_MAPPING = {
    "critical": Severity.P1.value,
    "error": Severity.P2.value,
    "warning": Severity.P3.value,
    "info": Severity.P4.value,
}


def default_severity_mapping() -> dict:
    return dict(DEFAULT_SEVERITY_MAPPING)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


class Integration(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="integrations")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=IntegrationKind.choices)
    key_prefix = models.CharField(
        max_length=8, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the key.")
    severity_mapping = models.JSONField(
        default=default_severity_mapping,
        blank=True,
        help_text='Sender severity (Events API v2 payload.severity, Alertmanager "severity" label) to P1–P4. '
        "Unmapped values give the default severity.",
    )
    default_severity = models.CharField(
        max_length=2, choices=Severity.choices, default=Severity.P3,
        help_text="For events whose severity is missing or not in the mapping.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=6000, help_text="Events accepted per minute; more are answered 429. 0: no limit."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive integrations' keys are refused.")
    # The rate limit's count when no Redis is configured (incidents.ingestion.limits): minute number and count.
    rate_window = models.PositiveBigIntegerField(default=0, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)
    last_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    events_received = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        # A constraint rather than unique=True: PostgreSQL gets the one index lookups need, no LIKE index.
        constraints = [models.UniqueConstraint(fields=["key_hash"], name="integration_key_hash_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def set_key(self, key: str) -> None:
        self.key_prefix = key[:6]
        self.key_hash = hash_key(key)

    def clean(self) -> None:
        mapping = self.severity_mapping
        if not isinstance(mapping, dict):
            raise ValidationError({"severity_mapping": 'Give an object such as {"critical": "P1"}.'})
        bad = {k: v for k, v in mapping.items() if v not in Severity.values}
        if bad:
            wrong = ", ".join(map(str, bad.values()))
            raise ValidationError({"severity_mapping": f"Map to one of {', '.join(Severity.values)}; not {wrong}."})


class AlertAction(models.TextChoices):
    TRIGGER = "trigger", "Trigger"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="alerts")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts", db_index=False
    )
    # Denormalized from the incident, so per-service alert volume is one index range scan. No database
    # constraint (the ORM's PROTECT still applies): every alert of a storm would otherwise check the service row
    # and take a share lock on it — the same row for every concurrent insert, which PostgreSQL turns into a new
    # multixact each time. It cannot point nowhere: the alert is stored on an open incident of that very service
    # in the same statement, the incident's own foreign key is checked, and a service with incidents cannot be
    # deleted. (The integration keeps its constraint: its cached key outlives a deletion by up to
    # INGESTION_KEY_CACHE_SECONDS in other processes, and the constraint refuses those late alerts.)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="alerts", db_index=False, db_constraint=False
    )
    received_at = models.DateTimeField()
    last_received_at = models.DateTimeField(help_text="Alertmanager: the last notification about this alert.")
    dedup_key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=255, blank=True, help_text="Alertmanager's; blank for Events API v2.")
    action = models.CharField(max_length=16, choices=AlertAction.choices)
    severity = models.CharField(max_length=2, choices=Severity.choices, blank=True)
    summary = models.CharField(max_length=1024, blank=True)
    source = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="The event as received.")

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "fingerprint"], condition=~Q(fingerprint=""), name="one_alert_per_fingerprint"
            ),
        ]
        indexes = [
            models.Index(fields=["service", "received_at"], name="alert_service_received"),
            models.Index(fields=["integration", "received_at"], name="alert_integration_received"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.dedup_key} at {self.received_at:%Y-%m-%d %H:%M:%S}"
