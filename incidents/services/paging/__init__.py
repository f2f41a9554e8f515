"""Paging: escalation of the frozen policy, acknowledgement SLA breaches, update reminders, direct pages and
hand-off notices. Everything is due work in indexed columns or rows, swept by beat (docs/paging.md)."""

from incidents.services.paging.breaches import ack_breaches_sweep
from incidents.services.paging.direct import incident_page_responder
from incidents.services.paging.escalation import (
    escalation_after_severity_change,
    escalation_after_transition,
    escalation_freeze,
    escalations_sweep,
    incident_escalate,
    incident_page_acknowledge,
    is_escalating,
    kick,
)
from incidents.services.paging.handoffs import handoff_notices_send, handoffs_between
from incidents.services.paging.reminders import update_reminders_sweep
from incidents.services.paging.sweep import paging_sweep

__all__ = [
    "ack_breaches_sweep",
    "escalation_after_severity_change",
    "escalation_after_transition",
    "escalation_freeze",
    "escalations_sweep",
    "handoff_notices_send",
    "handoffs_between",
    "incident_escalate",
    "incident_page_acknowledge",
    "incident_page_responder",
    "is_escalating",
    "kick",
    "paging_sweep",
    "update_reminders_sweep",
]
