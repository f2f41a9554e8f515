"""Reads for paging: what an incident's page shows about its escalation, its pages and their delivery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet

from incidents.models import Incident, Page, PageKind, UpdateReminder
from incidents.services.paging.escalation import is_escalating, level_due_at, levels_of
from incidents.services.paging.messages import topic
from oncall.models import Notification, Rotation


@dataclass
class LadderStep:
    level: dict
    due_at: dt.datetime | None
    page: Page | None = None

    @property
    def status(self) -> str:
        if self.page is not None:
            return "paged"
        return "due" if self.due_at is not None else "skipped"


@dataclass
class PageRow:
    page: Page
    deliveries: list[Notification] = field(default_factory=list)


def incident_paging(incident: Incident) -> dict:
    """The paging card: the frozen policy as a ladder for the current cycle, every page with the delivery
    status of its messages, the update reminders. A constant number of queries."""
    pages = list(Page.objects.filter(incident=incident).select_related("paged_by").order_by("paged_at", "id"))
    deliveries: dict[int, list[Notification]] = {}
    for row in incident_notifications(incident):
        page_id = (row.data or {}).get("page_id")
        if page_id is not None:
            deliveries.setdefault(page_id, []).append(row)
    current = {
        p.level: p for p in pages if p.kind == PageKind.ESCALATION and p.cycle == incident.escalation_cycle
    }
    escalating = is_escalating(incident)
    ladder = [
        LadderStep(
            level=level,
            due_at=level_due_at(incident, level) if incident.escalation_started_at else None,
            page=current.get(level["position"]),
        )
        for level in levels_of(incident)
    ]
    return {
        "policy_name": incident.escalation_policy_name,
        "cycle": incident.escalation_cycle,
        "escalating": escalating,
        "stopped_at": incident.escalation_ended_at,
        "next_escalation_at": incident.next_escalation_at,
        "ladder": ladder,
        "pages": [PageRow(page, deliveries.get(page.pk, [])) for page in reversed(pages)],
        "reminders": list(
            UpdateReminder.objects.filter(incident=incident).select_related("recipient").order_by("-due_at")[:10]
        ),
    }


def incident_notifications(incident: Incident) -> QuerySet[Notification]:
    """Every outbox row about the incident (pages and reminders), oldest first."""
    return (
        Notification.objects.filter(topic=topic(incident)).select_related("recipient").order_by("created_at", "id")
    )


def rotations_to_page() -> QuerySet[Rotation]:
    """Every team's rotations: a responder may page another team's on-call (the guide's SMEs)."""
    return Rotation.objects.select_related("team").order_by("team__name", "kind")
