"""The acknowledgement SLA: an incident still unacknowledged at its deadline is marked breached."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from incidents.models import Incident, TimelineEntry, TimelineKind
from incidents.models.incident import ACK_SLA_RUNNING
from incidents.services.paging.messages import when


def due_ack_breaches(now: dt.datetime) -> QuerySet[Incident]:
    """Detected incidents past their acknowledgement deadline and not yet marked, locked (SKIP LOCKED). Served
    by the partial index incident_ack_sla_due (only detected, unbreached incidents are in it)."""
    return (
        Incident.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("service__team")
        .filter(ACK_SLA_RUNNING, ack_deadline__lte=now)
        .order_by("ack_deadline")
    )


def ack_breaches_sweep(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Sweep: mark every detected incident past its acknowledgement deadline as breached (at the deadline,
    the moment it happened), with a timeline entry. Returns how many. Guarantees: rows come through the
    partial index with FOR UPDATE SKIP LOCKED and the mark is set only where it is still empty, so each
    breach is recorded once even with two sweeps; an acknowledgement that commits first wins (the incident
    is no longer detected)."""
    now = now or timezone.now()
    marked = 0
    while True:
        with transaction.atomic():
            batch = list(due_ack_breaches(now)[:batch_size])
            if not batch:
                return marked
            Incident.objects.filter(pk__in=[i.pk for i in batch]).update(ack_breached_at=F("ack_deadline"))
            TimelineEntry.objects.bulk_create(
                TimelineEntry(
                    incident=incident, kind=TimelineKind.ACK_BREACH, actor=None, at=incident.ack_deadline,
                    note=(
                        f"Not acknowledged by the {incident.severity} deadline, "
                        f"{when(incident.ack_deadline, incident.service.team.tz)}."
                    ),
                    data={"deadline": incident.ack_deadline.isoformat(), "noticed_at": now.isoformat()},
                )
                for incident in batch
            )
            marked += len(batch)
        if len(batch) < batch_size:
            return marked
