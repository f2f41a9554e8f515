"""The beat sweep over incidents' due work: maintenance windows starting and ending, escalation levels,
acknowledgement SLA breaches, update reminders."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from incidents.services.paging.breaches import ack_breaches_sweep
from incidents.services.paging.escalation import escalations_sweep
from incidents.services.paging.maintenance import maintenance_sweep
from incidents.services.paging.reminders import update_reminders_sweep

logger = logging.getLogger(__name__)

PARTS = (
    # Maintenance first: a window starting now holds its escalations before they page, one ending now restarts
    # them at level 1 in the same sweep.
    ("maintenance", maintenance_sweep),
    ("escalations", escalations_sweep),
    ("ack_breaches", ack_breaches_sweep),
    ("reminders", update_reminders_sweep),
)


def paging_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every part once at the same `now`; returns what each did. Each part is safe to run concurrently
    with itself (FOR UPDATE SKIP LOCKED over partial indexes, unique constraints). A part that raises does
    not stop the others; the first error is raised after all ran, so the task shows as failed."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    first_error: Exception | None = None
    for name, part in PARTS:
        try:
            done[name] = part(now=now)
        except Exception as exc:
            logger.exception("Paging sweep part %s failed; the next sweep retries", name)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return done
