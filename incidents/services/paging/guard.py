"""The outbox guard incidents registers with oncall.delivery.guards: a page or reminder that is no longer
true when its turn comes is cancelled instead of sent (an escalation page whose cycle was acknowledged while
the message waited for a worker or the broker; a reminder whose update was posted meanwhile; an escalation page
whose service went into maintenance).

The maintenance check reads the windows at send time, under the outbox row's lock, rather than trusting that
the maintenance sweep has already run: a window's start is an instant, so any delivery whose check runs after it
sees the window and refuses, however late the sweep is. (A window created after the check is, for that page,
a window that did not exist yet when it went out.)"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from incidents.maintenance_selectors import occurrence_covering
from incidents.models import OPEN_STATES, Incident, PageKind, Service
from oncall.models import NotificationKind


def paging_guard(notification) -> str | None:
    data = notification.data or {}
    incident_id = data.get("incident_id")
    if not incident_id or notification.kind not in (NotificationKind.PAGE, NotificationKind.REMINDER):
        return None
    incident = (
        Incident.objects.filter(pk=incident_id)
        .values("state", "escalation_cycle", "escalation_ended_at", "next_update_due_at", "service_id",
                "service__team_id")
        .first()
    )
    reference = data.get("reference", f"INC-{incident_id}")
    if incident is None:
        return f"{reference} no longer exists."
    if incident["state"] not in OPEN_STATES:
        return f"{reference} was {incident['state']} before this went out."
    escalation_page = notification.kind == NotificationKind.PAGE and data.get("page_kind") == PageKind.ESCALATION
    cycle_over = incident["escalation_cycle"] != data.get("cycle") or incident["escalation_ended_at"] is not None
    if escalation_page:
        service = Service(pk=incident["service_id"], team_id=incident["service__team_id"])
        occurrence = occurrence_covering(service, at=timezone.now())
        if occurrence is not None:
            return f"{reference}'s service is in maintenance ({occurrence.window.reason}); nobody is paged."
    if escalation_page and cycle_over:
        return f"{reference} was acknowledged before this page went out."
    if notification.kind == NotificationKind.REMINDER:
        due = data.get("update_due_at")
        if due is None or incident["next_update_due_at"] != dt.datetime.fromisoformat(due):
            return f"An update on {reference} was posted before this reminder went out."
    return None
