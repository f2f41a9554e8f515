"""The post-mortem as the guide's review template lays it out: one structure that the page, the print view
and the Markdown export all render, so they never disagree about what a section holds."""

import re
from dataclasses import dataclass, field

from django.utils import timezone

from incidents.models import Severity
from postmortems.insights import Insight, format_duration, impact_start, timeline_insights
from postmortems.models import ActionItem, Horizon, PostMortem
from postmortems.selectors import postmortem_detail

# A leading "- ", "* ", "• ", "1. ", "✓" or "✗", but not the "**" of bold text.
_BULLET = re.compile(r"^(?:[-*•](?=\s)|[✓✔✗✘]|\d+[.)](?=\s))\s*")


def text_lines(text: str) -> list[str]:
    """One item per line, without the bullets, ticks or numbers people type in front of them."""
    lines = []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = _BULLET.sub("", raw.strip(), count=1).strip() if raw.strip() else ""
        if line:
            lines.append(line)
    return lines


def clean_text(text: str) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def severity_text(severity: str) -> str:
    """“P1 (Critical)”, as the guide's metadata writes it."""
    label = Severity(severity).label
    return f"{severity} ({label.split('— ', 1)[1]})" if "— " in label else severity


def _clock(moment, with_date: bool) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if with_date else f"{moment:%H:%M}"


def duration_text(incident) -> str:
    """“28 minutes (14:32 - 15:00 UTC)”: impact start (or detection) to resolution."""
    start, end = impact_start(incident), incident.resolved_at or incident.closed_at
    if end is None:
        return f"ongoing (since {start:%Y-%m-%d %H:%M} UTC)"
    with_date = timezone.localdate(start) != timezone.localdate(end)
    return f"{format_duration(end - start)} ({_clock(start, with_date)} - {_clock(end, with_date)} UTC)"


@dataclass
class Section:
    """Grouped items: what went well / could be improved under detection, response, …"""

    title: str
    items: list[str]


@dataclass
class Document:
    postmortem: PostMortem
    heading: str
    metadata: list[tuple[str, str]]
    insights: list[Insight]
    timeline: list
    timeline_with_dates: bool
    whys: list
    factors: list
    fishbone: list
    went_well: list[Section]
    improve: list[Section]
    action_items: list[tuple[str, list[ActionItem]]]
    lessons: list[str]
    attendees: list[str]
    detail: dict = field(repr=False)

    @property
    def impact(self) -> list[tuple[str, list[tuple[str, str]]]]:
        pm = self.postmortem
        duration = next(i for i in self.insights if i.key == "total_duration")
        return [
            ("User Impact", [
                ("Affected Users", pm.users_affected),
                ("User Experience", clean_text(pm.user_experience)),
                ("Customer Complaints", pm.support_tickets),
                ("Duration", duration.text if duration.duration is not None else ""),
            ]),
            ("Business Impact", [
                ("Revenue Loss", pm.revenue_impact),
                ("SLA Breach", pm.error_budget_consumed),
                ("Reputation", pm.reputation_impact),
                ("Support Cost", pm.support_cost),
            ]),
            ("Technical Impact", [
                ("Failed Requests", pm.failed_requests),
                ("Data Loss", pm.data_loss),
                ("Services Affected", pm.services_affected or pm.incident.service.name),
                ("Downstream Dependencies", pm.downstream_dependencies),
            ]),
        ]

    @property
    def appendix(self) -> list[Section]:
        pm = self.postmortem
        return [
            Section("Supporting Data", text_lines(pm.supporting_data)),
            Section("Glossary", text_lines(pm.glossary)),
            Section("Related Incidents", text_lines(pm.related_incidents)),
            Section("Review Attendees", self.attendees),
        ]


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def build_document(postmortem: PostMortem) -> Document:
    detail = postmortem_detail(postmortem)
    incident = postmortem.incident
    commander = detail["commander"]
    date = timezone.localdate(impact_start(incident))
    timeline = detail["timeline"]
    days = {timezone.localdate(entry.at) for entry in timeline}
    items_by_horizon = [
        (label, [item for item in detail["action_items"] if item.horizon == value])
        for value, label in Horizon.choices
    ]
    roles = detail["roles_by_user"]
    attendees = [
        f"{_name(user)} ({', '.join(roles[user.pk])})" if user.pk in roles else _name(user)
        for user in detail["attendees"]
    ] + text_lines(postmortem.other_attendees)
    return Document(
        postmortem=postmortem,
        heading=f"Post-Incident Review: {postmortem.title} - {date.isoformat()}",
        metadata=[
            ("Date", date.isoformat()),
            ("Duration", duration_text(incident)),
            ("Severity", severity_text(incident.severity)),
            ("Incident Commander", _name(commander) if commander else "None assigned"),
            ("Services Affected", postmortem.services_affected or incident.service.name),
            ("Users Impacted", postmortem.users_affected),
        ],
        insights=timeline_insights(incident),
        timeline=timeline,
        timeline_with_dates=len(days) > 1,
        whys=detail["whys"],
        factors=detail["factors"],
        fishbone=detail["fishbone"],
        went_well=[
            Section("Detection", text_lines(postmortem.went_well_detection)),
            Section("Response", text_lines(postmortem.went_well_response)),
            Section("Recovery", text_lines(postmortem.went_well_recovery)),
        ],
        improve=[
            Section("Prevention", text_lines(postmortem.improve_prevention)),
            Section("Detection", text_lines(postmortem.improve_detection)),
            Section("Response", text_lines(postmortem.improve_response)),
            Section("Systemic Issues", text_lines(postmortem.improve_systemic)),
        ],
        action_items=items_by_horizon,
        lessons=text_lines(postmortem.lessons_learned),
        attendees=attendees,
        detail=detail,
    )
