"""Incident response metrics: MTTA, MTTI and MTTR (mean, median, p90), the share of incidents acknowledged
within their severity's target, and MTBF. Over the scope's incidents detected in the window, overall and per
severity, team, service and ISO week (UTC); plain dicts, times in seconds (MTBF in hours).

Definitions (the guide's, made precise):
- MTTA: detected → acknowledged, for incidents that were acknowledged.
- MTTI: acknowledged → cause identified, for incidents that reached "identified"; false alarms left out.
- MTTR: detected → resolved, for resolved or closed incidents only (open and reopened ones are left out,
  their time is not known yet); false alarms left out.
- Acknowledgement SLA: met when the incident was acknowledged (or, never acknowledged, resolved) by its
  stored deadline, which the severity policy set in business hours for P3/P4; decided once it was
  acknowledged or resolved or the deadline passed. Share = met / decided.
- MTBF: operational time / failures, where operational time is the window times the active services in
  scope and failures are incidents that were not false alarms (the guide's "Total operational time /
  Count(incidents)", per service). Median and p90 are of the gaps between a failure and the same service's
  previous one.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, F, FloatField, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Lag

from incidents.metrics.aggregates import DurationSeconds, bucket_of, grouped_stats
from incidents.metrics.scope import MetricScope, day_start
from incidents.models import OPEN_STATES, IncidentState, Severity

UTC = dt.UTC
RESOLVED_STATES = (IncidentState.RESOLVED, IncidentState.CLOSED)
DURATIONS = ("mtta", "mtti", "mttr")

# Percentiles need every value of a group, so they are computed for the headline groupings only; per team,
# service and week the means, counts and SLA shares come from one query of sums per (service, week).
PERCENTILE_GROUPINGS = {"overall": {}, "by_severity": {"sev": F("severity")}}


def _durations() -> dict:
    seconds = FloatField()
    return {
        "mtta": DurationSeconds(F("acknowledged_at") - F("detected_at")),
        "mtti": Case(
            When(false_alarm=False, then=DurationSeconds(F("identified_at") - F("acknowledged_at"))),
            output_field=seconds,
        ),
        "mttr": Case(
            When(Q(false_alarm=False, state__in=RESOLVED_STATES, resolved_at__isnull=False),
                 then=DurationSeconds(F("resolved_at") - F("detected_at"))),
            output_field=seconds,
        ),
    }


def _counts(now: dt.datetime) -> dict:
    has_deadline = Q(ack_deadline__isnull=False)
    decided = has_deadline & (
        Q(responded_at__isnull=False) | Q(ack_breached_at__isnull=False) | Q(ack_deadline__lte=now)
    )
    met = has_deadline & Q(ack_breached_at__isnull=True, responded_at__lte=F("ack_deadline"))
    return {
        "incidents": Count("pk"),
        "false_alarms": Count("pk", filter=Q(false_alarm=True)),
        "open": Count("pk", filter=Q(state__in=OPEN_STATES)),
        "sla_decided": Count("pk", filter=decided),
        "sla_met": Count("pk", filter=met),
    }


def _shape(row: dict) -> dict:
    shaped = {
        "incidents": row["incidents"] or 0,
        "false_alarms": row["false_alarms"] or 0,
        "open": row["open"] or 0,
        "ack_sla": {
            "met": row["sla_met"] or 0,
            "decided": row["sla_decided"] or 0,
            "share": row["sla_met"] / row["sla_decided"] if row["sla_decided"] else None,
        },
    }
    for name in DURATIONS:
        shaped[name] = {
            "mean": row[f"{name}_mean"], "median": row.get(f"{name}_median"), "p90": row.get(f"{name}_p90"),
            "count": row[f"{name}_n"] or 0,
        }
    return shaped


COUNTS = ("incidents", "false_alarms", "open", "sla_met", "sla_decided")
ADDED = (*COUNTS, *(f"{name}_{part}" for name in DURATIONS for part in ("sum", "n")))
EMPTY_ROW = {
    **dict.fromkeys(ADDED, 0),
    **{f"{name}_{part}": None for name in DURATIONS for part in ("mean", "median", "p90")},
}


def _row(numbers: list) -> dict:
    row = dict(zip(ADDED, numbers, strict=True))
    for name in DURATIONS:
        row[f"{name}_mean"] = row[f"{name}_sum"] / row[f"{name}_n"] if row[f"{name}_n"] else None
    return row


def response_times(scope: MetricScope) -> dict:
    """MTTA, MTTI, MTTR and the acknowledgement SLA overall and by severity (with median and p90: one query
    each on PostgreSQL), and by team, service and week (means and counts, from one query of sums per service
    and week, added up here). Every severity and every week of the window is listed, with zeros where
    nothing happened, so tables and charts keep their shape."""
    incidents = scope.detected().annotate(responded_at=Coalesce("acknowledged_at", "resolved_at"))
    counts = _counts(scope.now or scope.until)
    result = {}
    for grouping, groups in PERCENTILE_GROUPINGS.items():
        rows = grouped_stats(incidents, groups=groups, values=_durations(), extra=counts)
        if grouping == "overall":
            result[grouping] = _shape(rows[0])
        else:
            found = {row["sev"]: row for row in rows}
            result[grouping] = [{"severity": sev, **_shape(found.get(sev, EMPTY_ROW))} for sev in Severity.values]

    # Weeks as numbers (which of the window's weeks), not truncated date-times: thousands of rows convert fast.
    week_edges = [day_start(week) for week in scope.weeks[1:]]
    sums = {f"{name}_sum": Sum(name) for name in DURATIONS} | {f"{name}_n": Count(name) for name in DURATIONS}
    cells = (
        incidents.annotate(week=bucket_of("detected_at", week_edges), **_durations())
        .values("service_id", "week")
        .annotate(**counts, **sums)
        .values_list("service_id", "week", *ADDED)
        .order_by()
    )
    services = {s["pk"]: s for s in scope.services().values("pk", "slug", "name", "team__slug", "team__name")}
    zeros = [0] * len(ADDED)
    by_service: dict[int, list] = {}
    by_team: dict[str, list] = {}
    by_week: list[list] = [list(zeros) for _ in scope.weeks]
    for service_id, week, *numbers in cells:  # one row per service and week: a few thousand at most
        team = services[service_id]["team__slug"]
        for total in (by_service.setdefault(service_id, list(zeros)), by_team.setdefault(team, list(zeros)),
                      by_week[week]):
            for i, number in enumerate(numbers):
                total[i] += number or 0
    teams = {s["team__slug"]: s["team__name"] for s in services.values()}
    result["by_team"] = sorted(
        ({"team_slug": slug, "team_name": teams[slug], **_shape(_row(total))} for slug, total in by_team.items()),
        key=lambda r: (-r["incidents"], r["team_slug"]),
    )
    result["by_service"] = sorted(
        ({"service_slug": services[pk]["slug"], "service_name": services[pk]["name"],
          "team_slug": services[pk]["team__slug"], **_shape(_row(total))} for pk, total in by_service.items()),
        key=lambda r: (-r["incidents"], r["service_slug"]),
    )
    result["by_week"] = [{"week": week, **_shape(_row(total))} for week, total in zip(scope.weeks, by_week,
                                                                                         strict=True)]
    return result


def mtbf(scope: MetricScope) -> dict:
    """Mean time between failures in hours (operational time / failures) and the median and p90 of the
    gaps between consecutive failures of a service. Two queries."""
    failures = scope.incidents().filter(false_alarm=False, detected_at__lt=scope.until)
    # The gap to the same service's previous failure, whenever that was, for failures in the window only.
    gaps = failures.annotate(
        previous=Window(Lag("detected_at"), partition_by=[F("service_id")], order_by=F("detected_at").asc())
    )
    in_window = Q(detected_at__gte=scope.since)
    (row,) = grouped_stats(
        gaps,
        values={"gap": Case(When(in_window, then=DurationSeconds(F("detected_at") - F("previous")) / Value(3600.0)),
                            output_field=FloatField())},
        extra={"failures": Count("pk", filter=in_window)},
    )
    services = scope.services().filter(is_active=True).count()
    hours = services * (scope.until - scope.since).total_seconds() / 3600
    return {
        "failures": row["failures"],
        "services": services,
        "operational_hours": hours,
        "mean": hours / row["failures"] if row["failures"] else None,
        "median": row["gap_median"],
        "p90": row["gap_p90"],
        "gaps": row["gap_n"],
    }
