"""What pages, reminders and hand-off notices say. Pure functions over already-loaded objects: times in UTC
and in the owning team's time zone (what the on-call plans by), the incident's absolute link."""

import datetime as dt
import functools
import zoneinfo

from django.conf import settings
from django.urls import reverse

from incidents.models import Incident


@functools.cache
def _detail_path() -> tuple[str, str]:
    # Reversed once: a sweep writes a link into every page and reminder.
    marker = 987654321
    before, after = reverse("incidents:detail", kwargs={"pk": marker}).split(str(marker))
    return before, after


def incident_link(incident: Incident) -> str:
    before, after = _detail_path()
    return f"{settings.SITE_URL}{before}{incident.pk}{after}"


def topic(incident: Incident | int) -> str:
    return f"incident:{incident.pk if isinstance(incident, Incident) else incident}"


def name(user) -> str:
    if user is None:
        return "Watchkeeper"
    return user.get_full_name() or user.get_username()


def when(at: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    if at is None:
        return "—"
    utc = at.astimezone(dt.UTC)
    local = at.astimezone(tz)
    if tz.key == "UTC":
        return f"{utc:%a %Y-%m-%d %H:%M} UTC"
    return f"{utc:%a %Y-%m-%d %H:%M} UTC ({local:%H:%M %Z} {tz.key})"


def incident_data(incident: Incident) -> dict:
    """The structured part of every incident message, for webhook receivers."""
    return {
        "incident_id": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "state": incident.state,
        "service": incident.service.name,
        "team": incident.service.team.name,
        "detected_at": incident.detected_at.isoformat(),
        "ack_deadline": incident.ack_deadline.isoformat() if incident.ack_deadline else None,
        "link": incident_link(incident),
    }


def _facts(incident: Incident) -> list[str]:
    tz = incident.service.team.tz
    lines = [
        f"Service: {incident.service.name} ({incident.service.team.name})",
        f"Severity: {incident.get_severity_display()}",
        f"State: {incident.get_state_display()}",
        f"Detected: {when(incident.detected_at, tz)}",
    ]
    if incident.acknowledged_at is None and incident.ack_deadline:
        lines.append(f"Acknowledge by: {when(incident.ack_deadline, tz)}")
    if incident.war_room:
        lines.append(f"War room: {incident.war_room}")
    return lines


def escalation_page(incident: Incident, *, level: dict, total_levels: int, cycle: int) -> tuple[str, str]:
    subject = (
        f"[{incident.severity}] {incident.reference} {incident.title} — you are paged "
        f"(level {level['position']}: {level['target_label']})"
    )
    again = f" (reopened; escalation cycle {cycle})" if cycle > 1 else ""
    body = "\n".join([
        f"{incident.reference} needs someone to acknowledge it{again}.",
        "",
        *_facts(incident),
        f"Escalation: level {level['position']} of {total_levels} of “{incident.escalation_policy_name}”.",
        "",
        "Acknowledge it on the incident page to stop the escalation: the next level is paged if nobody does.",
    ])
    return subject, body


def direct_page(incident: Incident, *, by, target_label: str, note: str) -> tuple[str, str]:
    subject = f"[{incident.severity}] {incident.reference} {incident.title} — {name(by)} pages you"
    body = "\n".join([
        f"{name(by)} asks for your help on {incident.reference} (paged as: {target_label}).",
        *([f"Note: {note}"] if note else []),
        "",
        *_facts(incident),
    ])
    return subject, body


def update_reminder(incident: Incident, *, due_at: dt.datetime, reason: str) -> tuple[str, str]:
    tz = incident.service.team.tz
    subject = f"[{incident.severity}] {incident.reference}: a status update is due"
    body = "\n".join([
        f"A status update on {incident.reference} {incident.title} was due at {when(due_at, tz)}.",
        f"You get this reminder as the {reason}.",
        "",
        *_facts(incident),
        "",
        "Post an update on the incident page (templates are there); the next one falls due one cadence later.",
    ])
    return subject, body


def handoff_notice(
    *, rotation, at: dt.datetime, outgoing, incoming, recipient, open_incidents: list[Incident], note
) -> tuple[str, str]:
    tz = rotation.team.tz
    if recipient == incoming:
        subject = f"[Watchkeeper] You are now on call: {rotation.team.name} {rotation.name}"
        opening = f"Your {rotation.name} shift started at {when(at, tz)}, taking over from {name(outgoing)}."
    else:
        subject = f"[Watchkeeper] Your on-call shift ended: {rotation.team.name} {rotation.name}"
        opening = f"Your {rotation.name} shift ended at {when(at, tz)}; {name(incoming)} is on call now."
    lines = [opening, ""]
    if open_incidents:
        lines.append(f"Open incidents on {rotation.team.name}'s services ({len(open_incidents)}):")
        for incident in open_incidents:
            ack = "NOT acknowledged"
            if incident.acknowledged_at:
                ack = f"acknowledged by {name(incident.acknowledged_by)}"
            lines.append(
                f"- {incident.reference} [{incident.severity}] {incident.title} — {incident.get_state_display()}, "
                f"{ack} ({incident_link(incident)})"
            )
    else:
        lines.append(f"No incidents are open on {rotation.team.name}'s services.")
    if note is not None:
        lines += ["", f"Hand-off note from {name(note.author)}:"]
        for label, text in (
            ("Open incidents", note.open_incidents),
            ("Ongoing issues", note.ongoing_issues),
            ("Scheduled changes (next 24 h)", note.scheduled_changes),
        ):
            if text:
                lines.append(f"{label}: {text}")
    return subject, "\n".join(lines)
