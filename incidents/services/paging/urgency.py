"""Urgency hours: the guide's 24/7 coverage for P1/P2 and business hours for P3/P4.

An escalation cycle that starts outside the owning team's working hours, for a severity whose policy does not
page at any hour (and a service that does not ask for 24/7), starts when the working hours begin instead: its
level delays count from then, so the existing sweep pages level 1 at that instant through the indexed
`next_escalation_at`. The incident is recorded and shown at once; only the paging waits.
"""

from __future__ import annotations

import datetime as dt

from incidents.models import Incident, PagingHours
from incidents.sla import policy_for
from oncall.working_hours import team_working_hours


def pages_at_any_hour(incident: Incident) -> bool:
    if incident.service.paging_hours == PagingHours.ALWAYS:
        return True
    return policy_for(incident.severity).page_outside_working_hours


def deferral_until(incident: Incident, at: dt.datetime) -> dt.datetime | None:
    """When paging for a cycle starting at `at` may begin, if that is later than `at`; else None."""
    if pages_at_any_hour(incident):
        return None
    hours = team_working_hours(incident.service.team)
    if hours.is_working_time(at):
        return None
    return hours.next_working_instant(at)


def team_time_label(incident: Incident, at: dt.datetime) -> str:
    """'Mon 09:00 (team time)': the instant on the owning team's wall clock."""
    local = at.astimezone(incident.service.team.tz)
    return f"{local:%a %H:%M} (team time)"


def deferral_note(incident: Incident) -> str:
    label = team_time_label(incident, incident.paging_deferred_until)
    return (f"Paging deferred until {label}: {incident.severity} incidents outside {incident.service.team.name}'s "
            f"working hours wait for them.")
