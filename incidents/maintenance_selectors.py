"""Reads for maintenance windows: which window covers a service at an instant, what is coming up, and the
windows a user may see. Windows are few per team, so candidates come from one indexed query and the
occurrence arithmetic (weekly, DST-correct) runs in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from incidents.models import MaintenanceWindow, Occurrence, Recurrence, Service
from oncall.selectors import teams_of


def candidate_windows(*, team_ids: Iterable[int], at: dt.datetime) -> QuerySet[MaintenanceWindow]:
    """Windows of these teams that may cover `at` (a superset: weekly ones still need their occurrence)."""
    return (
        MaintenanceWindow.objects.filter(team_id__in=list(team_ids), starts_at__lte=at)
        .filter(
            Q(recurrence=Recurrence.ONCE, ends_at__gt=at)
            | Q(recurrence=Recurrence.WEEKLY)
            & (Q(repeat_until__isnull=True) | Q(repeat_until__gte=(at - dt.timedelta(days=8)).date()))
        )
        .select_related("team", "service", "created_by")
    )


def covering_occurrences(services: Iterable[Service], *, at: dt.datetime) -> dict[int, Occurrence]:
    """For each service in maintenance at `at`, the covering occurrence that ends last (two windows may
    overlap). One query whatever the number of services."""
    services = list(services)
    if not services:
        return {}
    found: dict[int, Occurrence] = {}
    windows = list(candidate_windows(team_ids={s.team_id for s in services}, at=at))
    for window in windows:
        occurrence = window.occurrence_at(at)
        if occurrence is None:
            continue
        for service in services:
            if service.team_id != window.team_id or (window.service_id and window.service_id != service.pk):
                continue
            best = found.get(service.pk)
            if best is None or occurrence.ends_at > best.ends_at:
                found[service.pk] = occurrence
    return found


def occurrence_covering(service: Service, *, at: dt.datetime) -> Occurrence | None:
    return covering_occurrences([service], at=at).get(service.pk)


def maintenance_windows_visible_to(user) -> QuerySet[MaintenanceWindow]:
    """Windows of the user's teams (superusers: all); everyone else's are invisible (404)."""
    if not user.is_authenticated:
        return MaintenanceWindow.objects.none()
    return MaintenanceWindow.objects.filter(team__in=teams_of(user)).select_related("team", "service", "created_by")


def upcoming_occurrences(windows: Iterable[MaintenanceWindow], *, after: dt.datetime,
                         count: int = 5) -> list[Occurrence]:
    """The next `count` occurrences of these windows (in progress or ahead), soonest first."""
    found = [occ for window in windows for occ in window.upcoming(after=after, count=count)]
    return sorted(found, key=lambda occ: (occ.starts_at, occ.window.pk))[:count]


def windows_for_service(service: Service) -> QuerySet[MaintenanceWindow]:
    """The service's own windows and its team's all-services windows."""
    return (
        MaintenanceWindow.objects.filter(team_id=service.team_id)
        .filter(Q(service__isnull=True) | Q(service=service))
        .select_related("team", "service", "created_by")
    )


def service_maintenance(service: Service, *, now: dt.datetime) -> dict:
    """What the service's page and the API show: the occurrence in progress and the next ones ahead."""
    windows = [w for w in windows_for_service(service) if w.recurrence == Recurrence.WEEKLY or w.ends_at > now]
    upcoming = upcoming_occurrences(windows, after=now, count=5)
    current = next((occ for occ in upcoming if occ.covers(now)), None)
    return {"current": current, "upcoming": [occ for occ in upcoming if occ is not current]}


def active_maintenance_by_service(*, now: dt.datetime) -> dict[int, Occurrence]:
    """Every active service in maintenance now, for the public status page."""
    windows = list(candidate_windows(
        team_ids=Service.objects.filter(is_active=True).values_list("team_id", flat=True).distinct(), at=now
    ))
    if not windows:
        return {}
    return covering_occurrences(
        Service.objects.filter(is_active=True, team_id__in={w.team_id for w in windows}), at=now
    )


def can_edit_maintenance(user, team) -> bool:
    """The team's responders (managers, leads, engineers) and superusers plan its maintenance windows."""
    from oncall.selectors import teams_responded_by

    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or teams_responded_by(user).filter(pk=team.pk).exists()


def incident_paging_hold(incident, *, now: dt.datetime) -> dict:
    """What the incident page's banner says: paging held by a maintenance window, deferred to working hours,
    or the service in maintenance while the incident is not escalating (acknowledged)."""
    from incidents.services.paging.urgency import team_time_label

    hold: dict = {"held": False, "deferred": False, "maintenance": None}
    if not incident.is_open:
        return hold
    if incident.paging_held_until:
        hold.update(held=True, until=team_time_label(incident, incident.paging_held_until),
                    window=incident.maintenance_window)
        return hold
    if incident.paging_deferred_until and incident.paging_deferred_until > now \
            and incident.escalation_ended_at is None:
        hold.update(deferred=True, until=team_time_label(incident, incident.paging_deferred_until))
    occurrence = occurrence_covering(incident.service, at=now)
    if occurrence is not None:
        hold["maintenance"] = {"window": occurrence.window, "until": team_time_label(incident, occurrence.ends_at)}
    return hold


def planned_maintenance(services: list[Service], *, now: dt.datetime, days: int = 7) -> list[dict]:
    """For the public status page: occurrences in progress or starting within `days`, with the names of the
    listed services they apply to (never the team or who planned it). One query."""
    horizon = now + dt.timedelta(days=days)
    by_team: dict[int, list[Service]] = {}
    for service in services:
        by_team.setdefault(service.team_id, []).append(service)
    if not by_team:
        return []
    windows = (
        MaintenanceWindow.objects.filter(team_id__in=by_team, starts_at__lt=horizon)
        .filter(Q(recurrence=Recurrence.ONCE, ends_at__gt=now)
                | Q(recurrence=Recurrence.WEEKLY)
                & (Q(repeat_until__isnull=True) | Q(repeat_until__gte=(now - dt.timedelta(days=8)).date())))
        .select_related("team")
    )
    planned = []
    for window in windows:
        names = [s.name for s in by_team[window.team_id] if not window.service_id or s.pk == window.service_id]
        if not names:
            continue
        for occurrence in window.occurrences(after=now):
            if occurrence.starts_at >= horizon:
                break
            planned.append({
                "services": names, "starts_at": occurrence.starts_at, "ends_at": occurrence.ends_at,
                "in_progress": occurrence.covers(now), "service_ids": [s.pk for s in by_team[window.team_id]
                                                                       if s.name in names],
            })
    return sorted(planned, key=lambda row: (row["starts_at"], row["services"]))
