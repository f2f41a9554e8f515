"""The guide's timeline key insights, computed from the times the incident's lifecycle stamped."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Insight:
    key: str
    label: str
    span: str  # what the interval runs between, in the guide's words
    duration: dt.timedelta | None  # None when a stamp is missing (a state was skipped, impact start unknown)

    @property
    def text(self) -> str:
        return format_duration(self.duration) if self.duration is not None else "not recorded"


# key, label, span, start field, end field
INSIGHTS = (
    ("detection_delay", "Detection delay", "impact start to detection", "impact_started_at", "detected_at"),
    ("response_time", "Response time", "detection to acknowledgement", "detected_at", "acknowledged_at"),
    ("investigation_time", "Investigation time", "acknowledgement to cause identified", "acknowledged_at",
     "identified_at"),
    ("resolution_time", "Resolution time", "cause identified to resolved", "identified_at", "resolved_at"),
    ("recovery_time", "Recovery time", "mitigation started to resolved", "resolving_at", "resolved_at"),
)


def impact_start(incident) -> dt.datetime:
    return incident.impact_started_at or incident.detected_at


def _between(start: dt.datetime | None, end: dt.datetime | None) -> dt.timedelta | None:
    if start is None or end is None or end < start:
        return None
    return end - start


def timeline_insights(incident) -> list[Insight]:
    """Detection delay, response, investigation, resolution and recovery time, and the total duration
    (impact start, or detection when unknown, to resolution)."""
    insights = [
        Insight(key, label, span, _between(getattr(incident, start), getattr(incident, end)))
        for key, label, span, start, end in INSIGHTS
    ]
    insights.append(
        Insight("total_duration", "Total duration", "impact start to resolved",
                _between(impact_start(incident), incident.resolved_at))
    )
    return insights


def format_duration(delta: dt.timedelta) -> str:
    """“28 minutes”, “1 minute 45 seconds”, “2 hours 5 minutes”, “1 day 3 hours”: the two largest units."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return _unit(seconds, "second")
    parts = []
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append((amount, name))
    parts = parts[:2]
    return " ".join(_unit(amount, name) for amount, name in parts if amount)


def _unit(amount: int, name: str) -> str:
    return f"{amount} {name}{'' if amount == 1 else 's'}"
