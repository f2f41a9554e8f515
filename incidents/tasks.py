"""Thin Celery tasks: each takes ids (or nothing) and calls one service. Scheduled in CELERY_BEAT_SCHEDULE."""

from celery import shared_task

from incidents.services import heartbeats, paging


@shared_task(name="incidents.paging_sweep")
def paging_sweep() -> dict:
    return paging.paging_sweep()


@shared_task(name="incidents.escalate_incident")
def escalate_incident(incident_id: int) -> int:
    return paging.incident_escalate(incident_id=incident_id)


@shared_task(name="incidents.handoff_notices_sweep")
def handoff_notices_sweep() -> int:
    return paging.handoff_notices_send()


@shared_task(name="incidents.heartbeats_sweep")
def heartbeats_sweep() -> int:
    return heartbeats.heartbeats_sweep()
