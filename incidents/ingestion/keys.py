"""Which integration a key belongs to, from a small per-process cache.

An alert storm sends thousands of events a second with one key; looking it up in the database each time would
be a round trip per event for an answer that almost never changes. Each process keeps what it looked up (found
or not) for INGESTION_KEY_CACHE_SECONDS (10 s by default). Rotating a key, deactivating or editing an
integration clears this process's cache at once (integration_changed); other processes see the change within
the TTL — the old key of a rotated integration keeps working for at most that long.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from incidents.models import Integration, Service
from incidents.models.integration import hash_key

MAX_ENTRIES = 10_000  # random keys sent by a scanner must not grow the cache without bound


@dataclass(frozen=True, slots=True)
class IntegrationRef:
    """What the write path needs to know about an integration, without a model instance."""

    pk: int
    name: str
    kind: str
    key_hash: str
    service_id: int
    service_active: bool
    severity_mapping: dict
    default_severity: str
    rate_limit_per_minute: int

    def severity_for(self, sender_severity: str | None) -> str:
        mapped = self.severity_mapping.get(sender_severity or "")
        return mapped if mapped in ("P1", "P2", "P3", "P4") else self.default_severity


_cache: dict[str, tuple[float, IntegrationRef | None]] = {}
_services: dict[int, tuple[float, Service]] = {}
_lock = threading.Lock()


def _ttl() -> float:
    return float(getattr(settings, "INGESTION_KEY_CACHE_SECONDS", 10))


def _load(key_hash: str) -> IntegrationRef | None:
    row = (
        Integration.objects.filter(key_hash=key_hash, is_active=True)
        .values_list(
            "pk", "name", "kind", "service_id", "service__is_active", "severity_mapping", "default_severity",
            "rate_limit_per_minute",
        )
        .first()
    )
    if row is None:
        return None
    pk, name, kind, service_id, service_active, mapping, default_severity, limit = row
    return IntegrationRef(
        pk=pk, name=name, kind=kind, key_hash=key_hash, service_id=service_id, service_active=service_active,
        severity_mapping=dict(mapping or {}), default_severity=default_severity, rate_limit_per_minute=limit,
    )


def integration_for_key(key: str) -> IntegrationRef | None:
    """The active integration whose key this is, or None."""
    if not key:
        return None
    key_hash = hash_key(key)
    now = time.monotonic()
    hit = _cache.get(key_hash)
    if hit is not None and hit[0] > now:
        return hit[1]
    ref = _load(key_hash)
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[key_hash] = (now + _ttl(), ref)
    return ref


def service_of(ref: IntegrationRef) -> Service:
    """The integration's service with its team and escalation policy, for declaring incidents (the first alerts
    of a storm declare many on it): cached like the key, read-only."""
    now = time.monotonic()
    cached = _services.get(ref.service_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    service = Service.objects.select_related("team", "escalation_policy").get(pk=ref.service_id)
    with _lock:
        _services[ref.service_id] = (now + _ttl(), service)
    return service


def integration_changed() -> None:
    """Forget every cached lookup in this process (after a rotation, deactivation or edit)."""
    with _lock:
        _cache.clear()
        _services.clear()
