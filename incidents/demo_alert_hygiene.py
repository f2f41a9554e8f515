"""Demo maintenance windows, heartbeat monitors and noise review for a local installation (`manage.py seed_demo`).
Never used in production.

- Payment Gateway has a weekly maintenance window (Tuesdays 02:00–04:00 Europe/Berlin) and Search Indexer a
  one-off window a few days ahead: the service pages, the status page's planned maintenance and the API show them.
- Invoicing has a heartbeat monitor that pinged once (healthy) and a paused one. Ping keys are stored hashed, so
  their URLs are printed only by the run that creates them; a manager gets a new one with the admin's "Rotate keys".
- Search API has an Events API v2 integration whose three alerts opened incidents that the responders judged
  actionable, noisy and a false alarm, and whose stream the search lead marked noisy: the alert hygiene review
  (/postmortems/hygiene/, as search-manager) flags it.

All through the services the pages, the admin and the ingestion endpoint use. Idempotent like the other demo
parts: the integration with its incidents and verdicts, the weekly window and the monitors are made only while
their service has none of that name; the one-off window is topped up while its service has none still ahead.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from incidents.ingestion import events_v2
from incidents.ingestion.keys import integration_for_key
from incidents.ingestion.services import event_v2_ingest, integration_create
from incidents.models import (
    Alert,
    HeartbeatMonitor,
    Integration,
    IntegrationKind,
    MaintenanceWindow,
    NoiseVerdict,
    Recurrence,
    Service,
)
from incidents.services import incident_transition
from incidents.services.heartbeats import heartbeat_create, heartbeat_ping, heartbeat_url
from incidents.services.maintenance import maintenance_window_create
from incidents.services.noise import incident_set_verdict, integration_set_verdict
from oncall.demo import DemoPeople

WEEKLY_WINDOW = ("payment-gateway", "Acquirer settlement maintenance")
ONE_OFF_WINDOW = ("search-indexer", "Search cluster upgrade to Elasticsearch 8")
HEALTHY_HEARTBEAT = ("invoicing", "Nightly invoice run")
PAUSED_HEARTBEAT = ("invoicing", "Dunning letters export")
NOISY_INTEGRATION = ("search-api", "Prometheus (search)")

# (dedup key, summary, source, sender severity, minutes ago, minutes later resolved, verdict, judge, reason)
NOISY_ALERTS = (
    ("search-api-p99-latency", "Search API p99 latency above 800 ms", "search-api-7.prod", "warning", 240, 45,
     NoiseVerdict.ACTIONABLE, "engineer1", "Real slowdown after the synonyms deploy; rolled back."),
    ("search-data-3-disk", "Disk usage above 85 % on search-data-3", "search-data-3.prod", "warning", 180, 12,
     NoiseVerdict.NOISY, "engineer2", "Fires during every nightly reindex and clears by itself."),
    ("search-api-healthcheck", "Search API health check failing in eu-west", "probe-eu-west-1", "info", 150, 3,
     NoiseVerdict.FALSE_ALARM, "lead", "The probe hit a node drained for the planned rotation; search was fine."),
)
STREAM_VERDICT_REASON = "Disk and health-check alerts fire on every reindex and node rotation; nobody acts on them."


@dataclass
class DemoSecrets:
    """Keys shown only by the run that made them (only their hashes are stored): what -> URL or key."""

    shown: list[tuple[str, str]] = field(default_factory=list)


def _next_weekday_at(now: dt.datetime, *, weekday: int, at: dt.time, tz) -> dt.datetime:
    """The first `weekday` (Monday 0) at local time `at` in `tz` strictly after now."""
    local = now.astimezone(tz)
    day = local.date() + dt.timedelta(days=(weekday - local.weekday()) % 7)
    start = dt.datetime.combine(day, at, tzinfo=tz)
    return start if start > now else start + dt.timedelta(days=7)


def _windows(people: DemoPeople, services: dict[str, Service], now: dt.datetime, changes: Counter) -> None:
    slug, reason = WEEKLY_WINDOW
    gateway = services[slug]
    if not MaintenanceWindow.objects.filter(service=gateway, reason=reason).exists():
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
        start = _next_weekday_at(now, weekday=1, at=dt.time(2, 0), tz=berlin)
        maintenance_window_create(
            user=people.users["payments", "lead"], team=gateway.team, service=gateway, reason=reason,
            starts_at=start, ends_at=start + dt.timedelta(hours=2), recurrence=Recurrence.WEEKLY,
            time_zone="Europe/Berlin",
        )
        changes["maintenance window"] += 1

    slug, reason = ONE_OFF_WINDOW
    indexer = services[slug]
    ahead = MaintenanceWindow.objects.filter(service=indexer, recurrence=Recurrence.ONCE, ends_at__gt=now)
    if not ahead.exists():
        tz = indexer.team.tz
        day = now.astimezone(tz).date() + dt.timedelta(days=3)
        start = dt.datetime.combine(day, dt.time(22, 0), tzinfo=tz)
        maintenance_window_create(
            user=people.users["search", "lead"], team=indexer.team, service=indexer, reason=reason,
            starts_at=start, ends_at=start + dt.timedelta(minutes=90),
        )
        changes["maintenance window"] += 1


def _heartbeats(people: DemoPeople, services: dict[str, Service], secrets: DemoSecrets, changes: Counter) -> None:
    manager = people.users["payments", "manager"]
    slug, name = HEALTHY_HEARTBEAT
    if not HeartbeatMonitor.objects.filter(service=services[slug], name=name).exists():
        monitor, key = heartbeat_create(
            user=manager, service=services[slug], name=name, interval=dt.timedelta(days=1),
            grace=dt.timedelta(hours=2),
        )
        heartbeat_ping(key=key)  # the job's first ping, as GET /integrations/heartbeat/<key>/ records it
        secrets.shown.append((f"Heartbeat “{monitor.name}” ({monitor.service.name}) ping URL", heartbeat_url(key)))
        changes["heartbeat monitor"] += 1
    slug, name = PAUSED_HEARTBEAT
    if not HeartbeatMonitor.objects.filter(service=services[slug], name=name).exists():
        heartbeat_create(
            user=manager, service=services[slug], name=name, interval=dt.timedelta(hours=6), paused=True,
        )
        changes["heartbeat monitor"] += 1


def _noisy_integration(
    people: DemoPeople, services: dict[str, Service], now: dt.datetime, secrets: DemoSecrets, changes: Counter
) -> None:
    """An Events API v2 integration, its alerts sent through the ingestion service as the endpoint does, the
    incidents they opened judged by the responders, and its stream marked noisy."""
    slug, name = NOISY_INTEGRATION
    service = services[slug]
    if Integration.objects.filter(service=service, name=name).exists():
        return
    u = people.users
    integration, key = integration_create(
        user=u["search", "manager"], service=service, name=name, kind=IntegrationKind.EVENTS_V2
    )
    changes["integration"] += 1
    secrets.shown.append((f"Integration “{name}” ({service.name}) Events API v2 routing key", key))
    ref = integration_for_key(key)
    for dedup_key, summary, source, severity, minutes_ago, lasted, verdict, judge, reason in NOISY_ALERTS:
        sent_at = now - dt.timedelta(minutes=minutes_ago)
        trigger = events_v2.parse({
            "routing_key": key, "event_action": "trigger", "dedup_key": dedup_key, "client": "Prometheus",
            "payload": {"summary": summary, "source": source, "severity": severity},
        })
        outcome = event_v2_ingest(integration=ref, event=trigger, now=sent_at)
        changes["incident"] += 1
        if verdict == NoiseVerdict.ACTIONABLE:
            incident_transition(incident=outcome.incident_id, user=u["search", judge], action="acknowledge")
        resolve = events_v2.parse({"routing_key": key, "event_action": "resolve", "dedup_key": dedup_key})
        event_v2_ingest(integration=ref, event=resolve, now=sent_at + dt.timedelta(minutes=lasted))
        incident_set_verdict(incident=outcome.incident_id, user=u["search", judge], verdict=verdict, reason=reason)
        changes["noise verdict"] += 1
    integration_set_verdict(
        integration=integration, user=u["search", "lead"], verdict=NoiseVerdict.NOISY, reason=STREAM_VERDICT_REASON
    )
    changes["noise verdict"] += 1


@transaction.atomic
def demo_alert_hygiene_seed(*, people: DemoPeople, services: dict[str, Service], changes: Counter) -> DemoSecrets:
    """Maintenance windows, heartbeat monitors, and an integration with judged incidents and a noisy stream.
    Returns the keys made by this run, to print once."""
    now = timezone.now()
    secrets = DemoSecrets()
    _windows(people, services, now, changes)
    _heartbeats(people, services, secrets, changes)
    _noisy_integration(people, services, now, secrets, changes)
    return secrets



def demo_noisy_alerts_day() -> dt.date:
    """The (UTC) day the demo integration's first alert came in, for a link to the hygiene review of its week."""
    slug, name = NOISY_INTEGRATION
    first = (
        Alert.objects.filter(integration__service__slug=slug, integration__name=name).order_by("received_at")
        .values_list("received_at", flat=True).first()
    )
    return (first or timezone.now()).astimezone(dt.UTC).date()
