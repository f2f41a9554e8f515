"""The guide's communication templates, pre-filled from an incident.

Pure functions: they read the incident (with its service and acknowledger already loaded) and the
names they are given, never the database, and take `now` so the text is reproducible. Each has an
internal variant (the guide's stakeholder e-mails) and an external one (the guide's customer status
page wording), which names only the service: nothing internal may reach the public page.
Square brackets mark what the author still has to fill in.
"""

import datetime as dt
from collections.abc import Iterable

from incidents.models import Incident, IncidentRole, RoleAssignment, UpdateAudience

PRIORITY_NAMES = {
    "P1": "Priority 1 (Critical)",
    "P2": "Priority 2 (High)",
    "P3": "Priority 3 (Medium)",
    "P4": "Priority 4 (Low)",
}
KINDS = (
    ("initial", "Initial notification"),
    ("update", "Status update"),
    ("resolution", "Resolution"),
)


def _utc(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC)


def _time(at: dt.datetime | None) -> str:
    return f"{_utc(at):%H:%M} UTC" if at else "[time]"


def _stamp(at: dt.datetime) -> str:
    return f"{_utc(at):%Y-%m-%d %H:%M} UTC"


def _public_stamp(at: dt.datetime) -> str:
    return f"{_utc(at):%b} {_utc(at).day}, {_utc(at):%H:%M} UTC"


def _duration(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def _subject(incident: Incident, status: str) -> str:
    return f"Subject: [{incident.severity}] {incident.title} - {status}"


def _started(incident: Incident) -> dt.datetime:
    return incident.impact_started_at or incident.detected_at


def _impact(incident: Incident) -> str:
    first_line = (incident.description or "").strip().splitlines()[:1]
    return first_line[0] if first_line else "[user-facing impact, how many users affected]"


def _next_update(incident: Incident, now: dt.datetime) -> str:
    due = incident.next_update_due_at
    if due is None:
        return "Via regular channels"
    when = _time(due) if _utc(due).date() == _utc(now).date() else _stamp(due)
    if due <= now:
        return f"{when} (overdue)"
    return f"{when} (in {_duration(due - now)})"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def commander_name(assignments: Iterable[RoleAssignment]) -> str:
    """The current Incident Commander's name from already-loaded assignments, or a placeholder."""
    for assignment in assignments:
        if assignment.role == IncidentRole.COMMANDER and assignment.relieved_at is None:
            return _name(assignment.user)
    return "[not assigned]"


def responder_names(incident: Incident, assignments: Iterable[RoleAssignment]) -> list[str]:
    names = [_name(incident.acknowledged_by)] if incident.acknowledged_by else []
    for assignment in assignments:
        name = _name(assignment.user)
        if name not in names:
            names.append(name)
    return names


def _steps_so_far(incident: Incident) -> list[str]:
    steps = [
        ("Incident declared", incident.detected_at),
        ("Acknowledged", incident.acknowledged_at),
        ("Investigation started", incident.investigating_at),
        ("Cause identified", incident.identified_at),
        ("Mitigation started", incident.resolving_at),
        ("Resolved", incident.resolved_at),
    ]
    return [f"- {label} at {_time(at)}" for label, at in steps if at]


def initial_notification(
    incident: Incident, *, now: dt.datetime, commander: str = "[not assigned]", audience: str = UpdateAudience.INTERNAL
) -> str:
    """The guide's "Initial Incident Notification", or the first customer status page entry."""
    if audience == UpdateAudience.EXTERNAL:
        lines = [
            f"[Investigating] - {_public_stamp(now)}",
            f"We are currently investigating an issue affecting {incident.service.name}. "
            "Users may experience errors when accessing our service. "
            "Our team is actively working on a resolution.",
        ]
        if incident.next_update_due_at and incident.next_update_due_at > now:
            lines[-1] += f" We will provide an update in {_duration(incident.next_update_due_at - now)}."
        return "\n".join([*lines, "", "WORKAROUND: [None available at this time.]"])
    war_room = f"- War room established: {incident.war_room}" if incident.war_room else "- [War room]"
    return "\n".join([
        _subject(incident, incident.get_state_display()),
        "",
        f"SEVERITY: {PRIORITY_NAMES[incident.severity]}",
        f"STATUS: {incident.get_state_display()}",
        f"IMPACT: {_impact(incident)}",
        f"STARTED: {_stamp(_started(incident))}",
        f"INCIDENT COMMANDER: {commander}",
        "",
        "CURRENT SITUATION:",
        "- [what is failing, what looks healthy]",
        "",
        "ACTIONS TAKEN:",
        f"- Incident declared at {_time(incident.detected_at)}",
        war_room,
        "- Team paged and responding",
        "",
        "NEXT STEPS:",
        "- [reviewing recent deployments, checking logs, preparing a rollback plan]",
        "",
        f"NEXT UPDATE: {_next_update(incident, now)}",
    ])


def status_update(
    incident: Incident, *, now: dt.datetime, commander: str = "[not assigned]", audience: str = UpdateAudience.INTERNAL
) -> str:
    """The guide's "Status Update", or a customer status page "[Update]" entry."""
    if audience == UpdateAudience.EXTERNAL:
        service = incident.service.name
        progress = {
            "identified": f"We have identified the cause of the issue affecting {service} and are working on a fix.",
            "resolving": f"We have implemented a fix and {service} is returning to normal. "
            "We are monitoring the results.",
        }.get(incident.state, f"We are continuing to investigate the issue affecting {service}.")
        lines = [f"[Update] - {_public_stamp(now)}", progress]
        if incident.next_update_due_at and incident.next_update_due_at > now:
            lines[-1] += f" We will provide another update by {_time(incident.next_update_due_at)}."
        return "\n".join(lines)
    return "\n".join([
        _subject(incident, incident.get_state_display()),
        "",
        f"SEVERITY: {PRIORITY_NAMES[incident.severity]}",
        f"STATUS: {incident.get_state_display()}",
        f"IMPACT: {_impact(incident)}",
        f"DURATION: {_duration(now - _started(incident))}",
        f"INCIDENT COMMANDER: {commander}",
        "",
        "ROOT CAUSE:",
        "- [known cause, or the current hypothesis]",
        "",
        "ACTIONS TAKEN:",
        *_steps_so_far(incident),
        "",
        "CURRENT STATUS:",
        "- [error rate, recovery progress, ETA to full resolution]",
        "",
        f"NEXT UPDATE: {_next_update(incident, now)}",
    ])


def resolution_notification(
    incident: Incident,
    *,
    now: dt.datetime,
    commander: str = "[not assigned]",
    responders: Iterable[str] = (),
    audience: str = UpdateAudience.INTERNAL,
) -> str:
    """The guide's "Resolution Notification", or the customer status page "[Resolved]" entry."""
    resolved = incident.resolved_at or now
    if audience == UpdateAudience.EXTERNAL:
        return "\n".join([
            f"[Resolved] - {_public_stamp(resolved)}",
            f"We have resolved the issue affecting {incident.service.name}. All services are now operating "
            "normally. We apologize for the disruption and are conducting a thorough review to prevent "
            "similar issues.",
        ])
    started = _started(incident)
    duration = _duration(resolved - started)
    summary = (incident.resolution_summary or "").strip()
    names = ", ".join(responders) or "[responders]"
    return "\n".join([
        _subject(incident, "RESOLVED"),
        "",
        f"SEVERITY: {PRIORITY_NAMES[incident.severity]} → RESOLVED",
        "STATUS: Resolved" + (" (false alarm)" if incident.false_alarm else ""),
        f"IMPACT: {_impact(incident)}",
        f"DURATION: {duration} ({_time(started).removesuffix(' UTC')} - {_time(resolved)})",
        f"INCIDENT COMMANDER: {commander}",
        "",
        "RESOLUTION:",
        f"- Service fully restored at {_time(resolved)}",
        f"- Root cause: {summary or '[root cause]'}",
        "- Fix: [what fixed it]",
        "",
        "IMPACT SUMMARY:",
        f"- Duration: {duration}",
        "- Users Affected: [number and share of users]",
        "- Failed Requests: [count]",
        "- Revenue Impact: [estimate]",
        "",
        "FOLLOW-UP ACTIONS:",
        "- Post-incident review scheduled: [date, within 48 hours]",
        "- [tickets created, runbooks updated]",
        "",
        f"Thank you to all responders: {names}",
    ])


def all_templates(incident: Incident, *, assignments: Iterable[RoleAssignment], now: dt.datetime) -> dict:
    """{kind: {audience: text}} for the page's "start from a template" buttons."""
    assignments = list(assignments)
    commander = commander_name(assignments)
    responders = responder_names(incident, assignments)
    result = {}
    for audience in UpdateAudience.values:
        result.setdefault("initial", {})[audience] = initial_notification(
            incident, now=now, commander=commander, audience=audience
        )
        result.setdefault("update", {})[audience] = status_update(
            incident, now=now, commander=commander, audience=audience
        )
        result.setdefault("resolution", {})[audience] = resolution_notification(
            incident, now=now, commander=commander, responders=responders, audience=audience
        )
    return result
