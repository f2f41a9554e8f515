"""The service change page's "Maintenance windows" line: the occurrence in progress and the next ones, with a
link to plan one. Kept apart from admin_maintenance, which imports incidents.admin."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from incidents.maintenance_selectors import service_maintenance


def maintenance_summary(service) -> str:
    if service.pk is None:
        return "—"
    info = service_maintenance(service, now=timezone.now())
    tz = service.team.tz
    add = reverse("admin:incidents_maintenancewindow_add")
    rows = []
    if info["current"]:
        occ = info["current"]
        rows.append(("In maintenance now", occ.window.reason, f"until {occ.ends_at.astimezone(tz):%a %d %b %H:%M %Z}"))
    for occ in info["upcoming"]:
        rows.append(("Planned", occ.window.reason,
                     f"{occ.starts_at.astimezone(tz):%a %d %b %H:%M} – {occ.ends_at.astimezone(tz):%H:%M %Z}"))
    listing = format_html_join("", "<li><strong>{}</strong>: {} ({})</li>", rows) if rows else "none planned"
    return format_html('<ul class="maintenance-list">{}</ul><a href="{}?team={}&service={}">Plan a window</a>',
                       listing, add, service.team_id, service.pk)
