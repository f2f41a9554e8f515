"""Planning maintenance windows: create, change, delete. The paging side (holding and restarting
escalations) is incidents.services.paging.maintenance; these functions apply a change to incidents right away
instead of waiting for the next sweep."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from incidents.maintenance_selectors import can_edit_maintenance
from incidents.models import Incident, MaintenanceWindow, Recurrence, Service
from incidents.services.paging.maintenance import holds_reconsider, window_advance, window_apply
from oncall.models import Team

EDITABLE = ("service", "reason", "starts_at", "ends_at", "recurrence", "time_zone", "repeat_until")


def _check(user, team: Team) -> None:
    if user is not None and not can_edit_maintenance(user, team):
        raise PermissionDenied("Only the team's responders can plan its maintenance windows.")


def _validate(window: MaintenanceWindow, *, now: dt.datetime) -> None:
    if window.service_id and window.service.team_id != window.team_id:
        raise ApplicationError("Choose one of the team's services.", field="service")
    if window.starts_at and window.ends_at and window.ends_at <= window.starts_at:
        raise ApplicationError("The window must end after it starts.", field="ends_at")
    window.full_clean(exclude=["created_by"])
    if not window.upcoming(after=now, count=1):
        raise ApplicationError("This window is already over; plan one that ends in the future.", field="ends_at")


def _schedule(window: MaintenanceWindow, *, now: dt.datetime) -> int:
    """Set the due start (the occurrence in progress or the next one) and apply one in progress right away.
    Returns how many incidents were held."""
    current = window.occurrence_at(now)
    held = window_apply(window, current, now=now) if current is not None else 0
    window_advance(window, now=now)
    window.save(update_fields=["next_start_at"])
    return held


def _reconsider_held_by(window: MaintenanceWindow, *, now: dt.datetime) -> None:
    """Incidents this window holds are looked at again now: held on if still covered, else they start paging."""
    incidents = list(
        Incident.objects.select_for_update(of=("self",)).select_related("service__team", "maintenance_window")
        .filter(maintenance_window=window, paging_held_until__isnull=False).order_by("pk")
    )
    if incidents:
        holds_reconsider(incidents, now=now)


@transaction.atomic
def maintenance_window_create(
    *, user, team: Team, reason: str, starts_at: dt.datetime, ends_at: dt.datetime, service: Service | None = None,
    recurrence: str = Recurrence.ONCE, time_zone: str = "", repeat_until: dt.date | None = None,
) -> MaintenanceWindow:
    """Plan a window for one service or (service None) all of the team's services. A window already in
    progress holds the services' running escalations at once (their queued pages are cancelled).
    Raises PermissionDenied (not a responder of the team), ApplicationError / ValidationError (bad input)."""
    _check(user, team)
    now = timezone.now()
    window = MaintenanceWindow(
        team=team, service=service, reason=(reason or "").strip(), starts_at=starts_at, ends_at=ends_at,
        recurrence=recurrence, time_zone=time_zone or "", repeat_until=repeat_until, created_by=user,
    )
    _validate(window, now=now)
    window.save()
    _schedule(window, now=now)
    return window


@transaction.atomic
def maintenance_window_update(*, user, window: MaintenanceWindow | int, **changes) -> MaintenanceWindow:
    """Change a window. Incidents it holds are reconsidered at once (a shortened window lets them page again,
    from level 1), and an occurrence now in progress holds the services' escalations.
    Raises PermissionDenied, ApplicationError / ValidationError."""
    pk = window.pk if isinstance(window, MaintenanceWindow) else window
    # No key update: sweeps holding incidents for this window reference it (FOR KEY SHARE) meanwhile.
    locked = (
        MaintenanceWindow.objects.select_for_update(no_key=True, of=("self",)).select_related("team", "service")
        .get(pk=pk)
    )
    _check(user, locked.team)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ApplicationError(f"{', '.join(sorted(unknown))} cannot be changed.", field=sorted(unknown)[0])
    for field, value in changes.items():
        setattr(locked, field, "" if value is None and field == "time_zone" else value)
    locked.reason = (locked.reason or "").strip()
    now = timezone.now()
    _validate(locked, now=now)
    locked.save()
    _reconsider_held_by(locked, now=now)
    _schedule(locked, now=now)
    return locked


@transaction.atomic
def maintenance_window_delete(*, user, window: MaintenanceWindow | int) -> None:
    """Delete a window; incidents it holds start paging again from level 1 now (unless another window
    covers them). Raises PermissionDenied."""
    pk = window.pk if isinstance(window, MaintenanceWindow) else window
    locked = MaintenanceWindow.objects.select_for_update(no_key=True, of=("self",)).select_related("team").get(pk=pk)
    _check(user, locked.team)
    now = timezone.now()
    incidents = list(
        Incident.objects.select_for_update(of=("self",)).select_related("service__team", "maintenance_window")
        .filter(maintenance_window=locked, paging_held_until__isnull=False).order_by("pk")
    )
    locked.delete()  # the windows still standing decide what covers the incidents now
    if incidents:
        holds_reconsider(incidents, now=now)
