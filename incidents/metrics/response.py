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
  Count(incidents)", per service). Median and p90 are of the gaps between consecutive failures of a service
  within the window.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Expression, F, FloatField, IntegerField, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Lag

from incidents.metrics.aggregates import (
    FRACTIONS,
    DurationSeconds,
    bucket_of,
    grouped_stats,
    grouping_sets_stats,
    has_percentile_cont,
)
from incidents.metrics.scope import MetricScope, day_start
from incidents.models import OPEN_STATES, IncidentState, Severity

UTC = dt.UTC
RESOLVED_STATES = (IncidentState.RESOLVED, IncidentState.CLOSED)
DURATIONS = ("mtta", "mtti", "mttr")



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


def _conditions(now: dt.datetime) -> dict[str, Q]:
    """What the counts count (besides all incidents), on incidents annotated with responded_at."""
    has_deadline = Q(ack_deadline__isnull=False)
    decided = has_deadline & (
        Q(responded_at__isnull=False) | Q(ack_breached_at__isnull=False) | Q(ack_deadline__lte=now)
    )
    met = has_deadline & Q(ack_breached_at__isnull=True, responded_at__lte=F("ack_deadline"))
    return {"false_alarms": Q(false_alarm=True), "open": Q(state__in=OPEN_STATES), "sla_decided": decided,
            "sla_met": met}


def _counts(now: dt.datetime) -> dict:
    return {"incidents": Count("pk"), **{name: Count("pk", filter=q) for name, q in _conditions(now).items()}}


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
    """MTTA, MTTI, MTTR and the acknowledgement SLA overall and by severity (with median and p90), and by team,
    service and week (means and counts). On PostgreSQL two queries (grouping sets: one hashed pass over the
    incidents for the counts and sums of every grouping, one sorted pass for the percentiles); elsewhere three.
    Every severity and every week of the window is listed, with zeros where nothing happened, so tables and
    charts keep their shape."""
    incidents = scope.detected().annotate(responded_at=Coalesce("acknowledged_at", "resolved_at"))
    now = scope.now or scope.until
    # Weeks as numbers (which of the window's weeks), not truncated date-times: thousands of rows convert fast.
    week = bucket_of("detected_at", [day_start(week) for week in scope.weeks[1:]])
    if has_percentile_cont():
        overall, by_severity, per_service, per_week = _in_one_pass(incidents, now, week)
    else:
        overall, by_severity, per_service, per_week = _per_grouping(incidents, now, week)
    result = {
        "overall": _shape(overall),
        "by_severity": [{"severity": sev, **_shape(by_severity.get(sev, EMPTY_ROW))} for sev in Severity.values],
    }

    services = {s["pk"]: s for s in scope.services().values("pk", "slug", "name", "team__slug", "team__name")}
    zeros = [0] * len(ADDED)
    by_team: dict[str, list] = {}
    for service_id, numbers in per_service.items():  # one row per service: tens
        total = by_team.setdefault(services[service_id]["team__slug"], list(zeros))
        for i, number in enumerate(numbers):
            total[i] += number
    teams = {s["team__slug"]: s["team__name"] for s in services.values()}
    result["by_team"] = sorted(
        ({"team_slug": slug, "team_name": teams[slug], **_shape(_row(total))} for slug, total in by_team.items()),
        key=lambda r: (-r["incidents"], r["team_slug"]),
    )
    result["by_service"] = sorted(
        ({"service_slug": services[pk]["slug"], "service_name": services[pk]["name"],
          "team_slug": services[pk]["team__slug"], **_shape(_row(total))} for pk, total in per_service.items()),
        key=lambda r: (-r["incidents"], r["service_slug"]),
    )
    result["by_week"] = [{"week": week, **_shape(_row(per_week.get(i, zeros)))} for i, week in enumerate(scope.weeks)]
    return result


def _in_one_pass(incidents: QuerySet, now: dt.datetime, week: Expression) -> tuple[dict, dict, dict, dict]:
    """(overall row, rows by severity, ADDED numbers by service, ADDED numbers by week index), PostgreSQL. One
    GROUPING SETS query without percentiles, which PostgreSQL answers hashing every grouping in one pass over
    unsorted rows, and one for the percentiles overall and by severity (one sort of the rows: by severity)."""
    conditions = _conditions(now)
    rows = incidents.annotate(
        week=week, **_durations(),
        **{name: Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())
           for name, q in conditions.items()},
    ).values("severity", "service_id", "week", *DURATIONS, *conditions)
    sets = [(), ("severity",), ("service_id",), ("week",)]
    overall, by_severity, by_service, by_week = dict(EMPTY_ROW), {}, {}, {}
    for index, row in grouping_sets_stats(rows, sets=sets, values=DURATIONS, flags=list(conditions),
                                          percentiles=False):
        row["incidents"] = row.pop("rows")
        if index == 0:
            overall = row
        elif index == 1:
            by_severity[row["severity"]] = row
        elif index == 2:
            by_service[row["service_id"]] = [row[name] for name in ADDED]
        else:
            by_week[row["week"]] = [row[name] for name in ADDED]
    spreads = incidents.annotate(**_durations()).values("severity", *DURATIONS)
    for index, row in grouping_sets_stats(spreads, sets=[(), ("severity",)], values=DURATIONS):
        target = overall if index == 0 else by_severity.get(row["severity"])
        if target is not None:
            target.update({f"{name}_{label}": row[f"{name}_{label}"] for name in DURATIONS for label in FRACTIONS})
    return overall, by_severity, by_service, by_week


def _per_grouping(incidents: QuerySet, now: dt.datetime, week: Expression) -> tuple[dict, dict, dict, dict]:
    """What _in_one_pass answers, without grouping sets and percentile_cont (SQLite): a query per grouping, the
    services and weeks added up here from (service, week) cells."""
    counts = _counts(now)
    (overall,) = grouped_stats(incidents, values=_durations(), extra=counts)
    by_severity = {row["sev"]: row for row in grouped_stats(incidents, groups={"sev": F("severity")},
                                                            values=_durations(), extra=counts)}
    sums = {f"{name}_sum": Sum(name) for name in DURATIONS} | {f"{name}_n": Count(name) for name in DURATIONS}
    cells = (
        incidents.annotate(week=week, **_durations())
        .values("service_id", "week")
        .annotate(**counts, **sums)
        .values_list("service_id", "week", *ADDED)
        .order_by()
    )
    by_service: dict[int, list] = {}
    by_week: dict[int, list] = {}
    for service_id, week_index, *numbers in cells:  # one row per service and week: a few thousand at most
        for total in (by_service.setdefault(service_id, [0] * len(ADDED)),
                      by_week.setdefault(week_index, [0] * len(ADDED))):
            for i, number in enumerate(numbers):
                total[i] += number or 0
    return overall, by_severity, by_service, by_week


def mtbf(scope: MetricScope) -> dict:
    """Mean time between failures in hours (operational time / failures) and the median and p90 of the
    gaps between consecutive failures of a service in the window. Two queries."""
    failures = scope.detected().filter(false_alarm=False)
    # Each failure's gap to the one before it on its service: in the order of the (service, detected_at)
    # index that carries false_alarm, so PostgreSQL reads the index alone and sorts nothing for the window.
    # COUNT(*), not COUNT(id): the id is not in that index.
    gaps = failures.annotate(
        previous=Window(Lag("detected_at"), partition_by=[F("service_id")], order_by=F("detected_at").asc())
    )
    (row,) = grouped_stats(
        gaps,
        values={"gap": DurationSeconds(F("detected_at") - F("previous")) / Value(3600.0)},
        extra={"failures": Count("*")},
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
