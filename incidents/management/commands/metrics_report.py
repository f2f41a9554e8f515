"""`manage.py metrics_report`: the monthly incident retrospective table (the guide's "Metrics and Improvement"):
every metric with its mean, median and p90 where it has them, its target and whether it was met.

    python manage.py metrics_report                                  # last calendar month, all teams
    python manage.py metrics_report --since 2026-01-01 --until 2026-02-01 --team payments
    python manage.py metrics_report --format markdown --output retro.md
    python manage.py metrics_report --format csv --output retro.csv

Dates are UTC; `--until` is not included. It reads every team (an operator's report): the same numbers as the
insights page shows a superuser.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.errors import ApplicationError
from incidents.metrics import metric_scope, metrics_all
from incidents.models import Severity
from oncall.models import Team

STATUS_TEXT = {"met": "met", "not_met": "NOT MET", "no_data": "no data", None: "—"}
COLUMNS = ("Metric", "Value", "Median", "p90", "n", "Target", "Status")


def _moment(text: str) -> dt.date | dt.datetime:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = parse_datetime(text)
    except ValueError as exc:
        raise CommandError(f"“{text}” is not a date (YYYY-MM-DD) or an ISO 8601 date-time.") from exc
    if moment is None:
        raise CommandError(f"“{text}” is not a date (YYYY-MM-DD) or an ISO 8601 date-time.")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1), first


def report_rows(data: dict) -> list[list[str]]:
    return [
        [row["label"], row["display"], row["median_display"], row["p90_display"], str(row["count"]),
         row["target"] or "—", STATUS_TEXT[row["status"]]]
        for row in data["headlines"]
    ]


def title(data: dict) -> str:
    scope = data["scope"]
    since, until = scope["since"], scope["until"]
    month = since.day == 1 and since.time() == dt.time(0) and until == (since + dt.timedelta(days=32)).replace(day=1)
    when = f"{since:%B %Y}" if month else f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC"
    teams = ", ".join(team["name"] for team in scope["teams"]) or "no teams"
    filters = "".join(f", {name} {scope[name]}" for name in ("service", "severity") if scope[name])
    return f"Incident retrospective, {when} ({teams}{filters})"


def as_table(data: dict) -> str:
    rows = [list(COLUMNS), *report_rows(data)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    right = {1, 2, 3, 4}

    def line(row):
        return "  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in
                         enumerate(zip(row, widths, strict=True))).rstrip()

    heading = title(data)
    body = [line(rows[0]), "  ".join("-" * w for w in widths), *(line(row) for row in rows[1:])]
    return "\n".join([heading, "=" * len(heading), "", *body, ""])


def as_markdown(data: dict) -> str:
    def cells(row):
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    align = "|" + "|".join(":---" if i in (0, 5, 6) else "---:" for i in range(len(COLUMNS))) + "|"
    lines = [f"## {title(data)}", "", cells(COLUMNS), align, *(cells(row) for row in report_rows(data)), ""]
    return "\n".join(lines)


def as_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["key", "metric", "value", "unit", "median", "p90", "count", "target", "status", "shown"])
    for row in data["headlines"]:
        writer.writerow([
            row["key"], row["label"], "" if row["value"] is None else f"{row['value']:.6g}", row["unit"],
            "" if row["median"] is None else f"{row['median']:.6g}", "" if row["p90"] is None else f"{row['p90']:.6g}",
            row["count"], row["target"] or "", row["status"] or "", row["display"],
        ])
    return out.getvalue()


FORMATS = {"table": as_table, "markdown": as_markdown, "csv": as_csv}


class Command(BaseCommand):
    help = "Print the monthly incident retrospective table: every metric against the guide's targets."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Start, included (YYYY-MM-DD or ISO date-time). Default: the first "
                            "of last month.")
        parser.add_argument("--until", help="End, not included. Default: the first of this month.")
        parser.add_argument("--team", help="Team slug. Default: every team.")
        parser.add_argument("--service", help="Service slug.")
        parser.add_argument("--severity", choices=Severity.values)
        parser.add_argument("--format", choices=sorted(FORMATS), default="table")
        parser.add_argument("--output", help="Write to this file instead of printing.")

    def handle(self, *args, **options):
        since = _moment(options["since"]) if options["since"] else None
        until = _moment(options["until"]) if options["until"] else None
        if since is None and until is None:
            since, until = last_month(timezone.now().astimezone(dt.UTC).date())
        try:
            scope = metric_scope(teams=Team.objects.all(), team=options["team"], service=options["service"],
                                 severity=options["severity"], since=since, until=until)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        text = FORMATS[options["format"]](metrics_all(scope))
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stdout.write(f"Wrote the {options['format']} report to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
