"""Every metric for a scope, and the headline table against the guide's targets: what the insights page, the
admin dashboard, the API and the monthly retrospective report all show."""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import OperationalError, connection, transaction

from incidents.metrics import on_call, quality, response, targets
from incidents.metrics.scope import MetricScope
from incidents.metrics.targets import Target
from oncall.models import Team

SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")
LABELS = {"mtta": "MTTA", "mtti": "MTTI", "mttr": "MTTR"}
DURATION_TARGETS = {"mtta": targets.MTTA, "mtti": targets.MTTI, "mttr": targets.MTTR}
SPANS = {
    "mtta": "detected → acknowledged",
    "mtti": "acknowledged → cause identified",
    "mttr": "detected → resolved (resolved incidents only)",
}


def metrics_all(scope: MetricScope, *, side_connection: bool | None = None) -> dict:
    """All metric families for `scope`, and the headline rows. A constant number of queries (about 25), in one
    read transaction.

    On PostgreSQL, outside any transaction of the caller's (side_connection=None), the recurrence and page-load
    families (about half the work) run meanwhile on a second connection, in a thread, in the same snapshot: this
    transaction is REPEATABLE READ and exports its snapshot to the other. The answers are those of one
    connection; the time nearly halves when the database has a second core free. Inside a caller's transaction
    (tests, or a view that wrote something first) a second connection would not see that transaction's rows, so
    everything runs on this connection, one family after another; so it does when no second connection can be
    had, and everywhere with settings.METRICS_SIDE_CONNECTION = False."""
    if side_connection is None:
        side_connection = (connection.vendor == "postgresql" and not connection.in_atomic_block
                           and connection.get_autocommit() and getattr(settings, "METRICS_SIDE_CONNECTION", True))
    if side_connection:
        with connection.cursor():
            pass  # any health check of the connection now, not as the transaction's first statement
    with transaction.atomic():
        if not side_connection:
            without_jit()
            return _metrics_all(scope, None)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # before any query: one snapshot
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        without_jit()
        with ThreadPoolExecutor(max_workers=1) as pool:
            side = pool.submit(_in_snapshot, snapshot, lambda: (quality.recurrence(scope), on_call.page_load(scope)))
            return _metrics_all(scope, side)


def _in_snapshot(snapshot: str, work):
    """`work()` on this thread's own connection, in a read transaction that sees `snapshot` (exported by the
    caller's transaction, which stays open meanwhile); the connection is closed afterwards."""
    if not SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"Not a snapshot id: {snapshot!r}")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # SET takes no parameters
            without_jit()
            return work()
    finally:
        connection.close()


def without_jit() -> None:
    """Settings for the rest of this transaction, PostgreSQL only. No JIT: it compiles queries it estimates as
    costly (100,000 rows here) to machine code first, which takes longer than the aggregations themselves (up
    to a second each). More sort memory: the percentiles, LAG() and shift slices sort up to a few hundred
    thousand narrow rows, which spill to disk at the default 4 MB."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '32MB'")


def _metrics_all(scope: MetricScope, side: Future | None) -> dict:
    """`side`, when given, answers (recurrence, page load), computed on the side connection meanwhile."""
    times = response.response_times(scope)
    items = quality.action_items(scope)
    overall = times["overall"]
    data = {
        "scope": {
            **scope.describe(),
            "teams": list(Team.objects.filter(pk__in=scope.team_ids).order_by("name").values("slug", "name")),
            "weeks": scope.week_count,
        },
        "response": {**times, "mtbf": response.mtbf(scope)},
        "quality": {
            "action_items": items["completion"],
            "action_items_overdue_by_team": items["overdue_by_team"],
            "runbooks": quality.runbook_coverage(scope),
        },
        "on_call": {
            "alert_volume": on_call.alert_volume(
                scope, incidents_by_week={w["week"]: w["incidents"] for w in times["by_week"]}
            ),
            "false_positives": on_call.false_positives(scope, counts=overall),
        },
    }
    answered = None
    if side is not None:
        try:
            answered = side.result()
        except OperationalError:  # e.g. no second connection to be had (max_connections): on this one instead
            answered = None
    recurrence, load = answered or (quality.recurrence(scope), on_call.page_load(scope))
    data["quality"] = {"recurrence": recurrence, **data["quality"]}
    data["on_call"].update(after_hours=load["after_hours"], shifts=load["shifts"])
    data["headlines"] = headlines(data, scope)
    return data


# --- formatting ------------------------------------------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    """“45 s”, “4 min 30 s”, “2 h 5 min”, “3 d 4 h”: the two largest units."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        amount, whole = divmod(whole, size)
        if amount or parts:
            parts.append((amount, unit))
    return " ".join(f"{amount} {unit}" for amount, unit in parts[:2] if amount)


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "seconds":
        return format_seconds(value)
    if unit == "hours":
        return f"{value:,.0f} h" if value >= 10 else f"{value:.1f} h"
    if unit == "percent":
        return f"{value * 100:.1f} %".replace(".0 %", " %")
    if unit == "per_week":
        return f"{value:.1f} a week"
    return f"{value:,.0f}"


def _row(key: str, label: str, value, unit: str, target: Target | None, *, count: int, definition: str,
         median=None, p90=None) -> dict:
    return {
        "key": key,
        "label": label,
        "definition": definition,
        "value": value,
        "median": median,
        "p90": p90,
        "count": count,
        "unit": unit,
        "display": format_value(value, unit),
        "median_display": format_value(median, unit) if median is not None else "",
        "p90_display": format_value(p90, unit) if p90 is not None else "",
        "target": target.text if target else None,
        "status": target.status(value) if target else None,
    }


def headlines(data: dict, scope: MetricScope) -> list[dict]:
    """The retrospective table: each metric's value (mean for times, with median and p90), its target from
    the guide and whether it is met. Response times per severity that has a target (P1, P2), or for the
    severity the scope is limited to."""
    rows = []
    res, qual, load = data["response"], data["quality"], data["on_call"]
    by_severity = {row["severity"]: row for row in res["by_severity"]}
    severities = [scope.severity] if scope.severity else ["P1", "P2"]
    for metric, label in LABELS.items():
        if not scope.severity:
            stats = res["overall"][metric]
            rows.append(_row(metric, f"{label}, all severities", stats["mean"], "seconds", None, count=stats["count"],
                             definition=SPANS[metric], median=stats["median"], p90=stats["p90"]))
        for severity in severities:
            stats = by_severity[severity][metric]
            rows.append(_row(
                f"{metric}_{severity.lower()}", f"{label} {severity}", stats["mean"], "seconds",
                DURATION_TARGETS[metric].get(severity), count=stats["count"], definition=SPANS[metric],
                median=stats["median"], p90=stats["p90"],
            ))
    mtbf = res["mtbf"]
    rows.append(_row("mtbf", "MTBF", mtbf["mean"], "hours", targets.MTBF, count=mtbf["failures"],
                     definition="operational time (window × active services) / failures; median and p90 of "
                     "the gaps between a service's failures in the window", median=mtbf["median"], p90=mtbf["p90"]))
    sla = res["overall"]["ack_sla"]
    rows.append(_row("ack_sla", "Acknowledged within SLA", sla["share"], "percent", targets.ACK_SLA,
                     count=sla["decided"], definition="acknowledged (or resolved) by the severity's deadline, "
                     "business hours for P3/P4"))
    rec = qual["recurrence"]
    rows.append(_row("recurrence", "Recurrence rate", rec["rate"], "percent", targets.RECURRENCE,
                     count=rec["incidents"], definition="same service and dedup key or fingerprint within "
                     f"{rec['window_days']} days of a previous incident"))
    items = qual["action_items"]
    rows.append(_row("action_items", "Action items done on time", items["rate"], "percent",
                     targets.ACTION_ITEM_COMPLETION, count=items["due"],
                     definition="done by the due date / all due in the window"))
    books = qual["runbooks"]
    rows.append(_row("runbooks", "Runbook coverage", books["coverage"], "percent", targets.RUNBOOK_COVERAGE,
                     count=books["active_services"],
                     definition=f"active services with a runbook reviewed in the last {books['fresh_days']} days"))
    volume = load["alert_volume"]
    rows.append(_row("alert_volume", "Alerts per week", volume["events_per_week_per_team"], "per_week",
                     targets.ALERTS_PER_WEEK, count=volume["events"], definition="alert events per week, per team"))
    fp = load["false_positives"]
    rows.append(_row("false_positives", "False-positive rate", fp["rate"], "percent", targets.FALSE_POSITIVES,
                     count=fp["incidents"], definition="incidents resolved as false alarm / all incidents"))
    after = load["after_hours"]
    rows.append(_row("after_hours", "After-hours pages per week", after["after_hours_per_week_per_team"],
                     "per_week", targets.AFTER_HOURS_PER_WEEK, count=after["after_hours"],
                     definition="pages outside the recipient team's working hours, per week, per team"))
    shifts = load["shifts"]
    rows.append(_row("pages_per_shift", "Pages per on-call shift week", shifts["pages_per_shift_week"], "per_week",
                     targets.PAGES_PER_SHIFT_WEEK, count=shifts["shifts"],
                     definition="pages to the person on call during their shift, per week of shift"))
    return rows
