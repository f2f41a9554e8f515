"""The service change page's "Heartbeats" field: the service's monitors, their status and last ping (team time)."""

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from incidents.models import HeartbeatMonitor


def heartbeat_summary(service) -> str:
    if service.pk is None:
        return "—"
    tz = service.team.tz
    rows = [
        (reverse("admin:incidents_heartbeatmonitor_change", args=[m.pk]), m.name, m.status,
         f"last ping {m.last_ping_at.astimezone(tz):%a %d %b %H:%M %Z}" if m.last_ping_at else "no ping yet",
         m.interval)
        for m in HeartbeatMonitor.objects.filter(service=service).order_by("name", "id")
    ]
    listing = (
        format_html_join("", '<li><a href="{}">{}</a>: <strong>{}</strong> ({}; every {})</li>', rows)
        if rows else "none"
    )
    add = reverse("admin:incidents_heartbeatmonitor_add")
    return format_html('<ul class="heartbeat-list">{}</ul><a href="{}?service={}">Add a heartbeat monitor</a>',
                       listing, add, service.pk)
