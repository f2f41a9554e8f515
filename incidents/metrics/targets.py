"""The guide's targets ("Metrics and Improvement", and each severity's response targets) and whether a value
meets them. A metric without data (no incidents, nothing due) neither meets nor misses its target."""

from __future__ import annotations

import operator
from dataclasses import dataclass

MINUTE = 60
HOUR = 3600


class Status:
    MET = "met"
    NOT_MET = "not_met"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Target:
    comparison: str  # "<", ">", ">=" — how the value must compare to `value`
    value: float  # in the metric's unit: seconds, hours, a fraction (0.9 = 90 %) or a count per week
    text: str  # as the guide says it

    _OPERATORS = {"<": operator.lt, ">": operator.gt, ">=": operator.ge, "<=": operator.le}

    def status(self, value: float | None) -> str:
        if value is None:
            return Status.NO_DATA
        return Status.MET if self._OPERATORS[self.comparison](value, self.value) else Status.NOT_MET


# Response times (seconds), per severity; the guide sets them for P1 and P2 only. P3/P4 acknowledgement
# targets are in business hours, which the acknowledgement-SLA share measures instead.
MTTA = {"P1": Target("<", 5 * MINUTE, "< 5 min"), "P2": Target("<", 15 * MINUTE, "< 15 min")}
MTTI = {"P1": Target("<", 30 * MINUTE, "< 30 min"), "P2": Target("<", 2 * HOUR, "< 2 h")}
MTTR = {"P1": Target("<", 1 * HOUR, "< 1 h"), "P2": Target("<", 4 * HOUR, "< 4 h")}
MTBF = Target(">", 720, "> 720 h (30 days)")  # hours
# Each severity's acknowledgement target (Severity Classification) is a promise per incident, so all of them.
ACK_SLA = Target(">=", 1.0, "100 % within the severity's target")
RECURRENCE = Target("<", 0.10, "< 10 %")
ACTION_ITEM_COMPLETION = Target(">", 0.90, "> 90 %")
RUNBOOK_COVERAGE = Target(">=", 1.0, "100 %")
ALERTS_PER_WEEK = Target("<", 20, "< 20 a week")
FALSE_POSITIVES = Target("<", 0.20, "< 20 %")
AFTER_HOURS_PER_WEEK = Target("<", 5, "< 5 a week")
# The guide's alert volume is "per on-call shift … < 20 per week": a week-long shift should see fewer than 20.
PAGES_PER_SHIFT_WEEK = Target("<", 20, "< 20 per week of shift")
