"""SLA clocks: when an incident must be acknowledged and when its next status update is due."""

import datetime as dt

from incidents.models import OPEN_STATES, Incident, SeverityPolicy
from incidents.models.severity import GUIDE_DEFAULTS, PAGES_AT_ANY_HOUR
from oncall.working_hours import team_working_hours


def policy_for(severity: str) -> SeverityPolicy:
    policy = SeverityPolicy.objects.filter(severity=severity).first()
    # The guide's defaults stand in when an operator deleted the row.
    return policy or SeverityPolicy(
        severity=severity, page_outside_working_hours=PAGES_AT_ANY_HOUR[severity], **GUIDE_DEFAULTS[severity]
    )


def ack_deadline(incident: Incident, policy: SeverityPolicy) -> dt.datetime:
    if policy.ack_business_hours:
        return team_working_hours(incident.service.team).add(incident.detected_at, policy.ack_target)
    return incident.detected_at + policy.ack_target


def next_update_due(incident: Incident, policy: SeverityPolicy, *, last_update_at: dt.datetime) -> dt.datetime | None:
    if incident.state not in OPEN_STATES or policy.update_cadence is None:
        return None
    return last_update_at + policy.update_cadence
