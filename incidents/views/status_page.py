"""The public status page: no login, and only what selectors.public_status hands out (titles, services,
external updates). Descriptions, internal updates, names and war rooms never reach this template."""

import datetime as dt

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from incidents import selectors
from incidents.maintenance_selectors import planned_maintenance
from incidents.models import Severity

# Worst open severity -> (css class, what the public sees).
SERVICE_STATUS = {
    None: ("operational", "Operational"),
    Severity.P1: ("outage", "Major outage"),
    Severity.P2: ("degraded", "Degraded"),
    Severity.P3: ("degraded", "Degraded"),
    Severity.P4: ("degraded", "Minor issue"),
}
IMPACT_LABELS = {
    Severity.P1: "Major outage",
    Severity.P2: "Partial outage",
    Severity.P3: "Degraded performance",
    Severity.P4: "Minor issue",
}


def _days_touched(incident, today: dt.date) -> list[dt.date]:
    first = timezone.localdate(incident.detected_at)
    last = timezone.localdate(incident.resolved_at) if incident.resolved_at else today
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _day_bars(services, incidents, *, days: int, today: dt.date) -> dict[int, list[dict]]:
    worst: dict[tuple[int, dt.date], str] = {}
    for incident in incidents:
        for day in _days_touched(incident, today):
            key = (incident.service_id, day)
            if key not in worst or incident.severity < worst[key]:
                worst[key] = incident.severity
    dates = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    return {
        service.pk: [
            {"date": day, "status": SERVICE_STATUS[worst.get((service.pk, day))][0],
             "label": SERVICE_STATUS[worst.get((service.pk, day))][1]}
            for day in dates
        ]
        for service in services
    }


@never_cache
def status_index(request):
    data = selectors.public_status()
    now = timezone.now()
    today = timezone.localdate()
    services = [service for service, _ in data["services"]]
    planned = planned_maintenance(services, now=now)
    in_maintenance = {pk for row in planned if row["in_progress"] for pk in row["service_ids"]}
    bars = _day_bars(services, [*data["open_incidents"], *data["history"]], days=data["history_days"], today=today)
    rows = []
    for service, worst in data["services"]:
        css, label = SERVICE_STATUS[worst]
        if worst is None and service.pk in in_maintenance:
            css, label = "maintenance", "Under maintenance"
        rows.append({"service": service, "status": css, "label": label, "days": bars[service.pk]})
    statuses = {row["status"] for row in rows}
    overall = "outage" if "outage" in statuses else "degraded" if "degraded" in statuses else "operational"
    for incident in [*data["open_incidents"], *data["history"]]:
        incident.impact_label = IMPACT_LABELS[incident.severity]
    return render(
        request,
        "status/index.html",
        {
            "rows": rows,
            "overall": overall,
            "open_incidents": data["open_incidents"],
            "history": data["history"],
            "history_days": data["history_days"],
            "planned_maintenance": planned,
            "now": now,
        },
    )
