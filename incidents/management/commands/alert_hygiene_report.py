"""`python manage.py alert_hygiene_report [--week 2026-W47] [--team payments] [--format table|markdown|csv]`:
the weekly alert hygiene review (incidents.metrics.hygiene) of every team, or one, for the last complete week
by default."""

import csv
import io

from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError
from incidents.metrics.hygiene import HygieneReport, SourceRow, alert_hygiene, hygiene_scope, parse_week
from oncall.models import Team

COLUMNS = ("kind", "source", "service", "team", "alerts", "incidents", "false_positives", "fp_share", "noisy",
           "noisy_share", "after_hours_pages", "stream_verdict", "flagged", "advice")


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _cells(row: SourceRow) -> list[str]:
    return [
        row.kind, row.name, row.service_name, row.team_slug, str(row.alerts), str(row.incidents),
        str(row.false_alarms), _share(row.false_positive_share), str(row.noisy), _share(row.noisy_share),
        str(row.after_hours_pages), row.stream_verdict, "yes" if row.flagged else "",
        " ".join(flag.advice for flag in row.flags),
    ]


class Command(BaseCommand):
    help = "The weekly alert hygiene review: alerts, incidents, false-positive and noisy shares and after-hours " \
           "pages per integration and per service; sources over the guide's thresholds flagged with its advice."

    def add_arguments(self, parser):
        parser.add_argument("--week", default="", help="2026-W47 or a date in the week; default: last week.")
        parser.add_argument("--team", default="", help="One team's slug; default: every team.")
        parser.add_argument("--format", default="table", choices=("table", "markdown", "csv"))

    def handle(self, *args, week: str, team: str, format: str, **options):
        try:
            report = alert_hygiene(hygiene_scope(teams=Team.objects.all(), team=team or None, week=parse_week(week)))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        rows = [*report.integrations, *report.services]
        writer = {"csv": self._csv, "markdown": self._markdown, "table": self._table}[format]
        self.stdout.write(writer(report, rows), ending="")

    def _csv(self, report: HygieneReport, rows: list[SourceRow]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["week", *COLUMNS])
        for row in rows:
            writer.writerow([report.iso_week, *_cells(row)])
        return out.getvalue()

    def _markdown(self, report: HygieneReport, rows: list[SourceRow]) -> str:
        lines = [f"# Alert hygiene, week {report.iso_week}", "",
                 f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} (UTC). "
                 f"{len(report.flagged)} source(s) over the guide's thresholds.", ""]
        header = COLUMNS[:-1]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)[:-1]) + " |" for row in rows]
        if report.flagged:
            lines += ["", "## Flagged", ""]
            for row in report.flagged:
                lines.append(f"- **{row.label}** ({row.kind}): " + " ".join(f.advice for f in row.flags))
        if report.top_sources:
            lines += ["", "## Top noisy sources", ""]
            lines += [f"{i}. {s['source']} via {s['integration']} ({s['service']}): {s['noise_alerts']} of "
                      f"{s['alerts']} alerts on false alarms or noisy incidents"
                      for i, s in enumerate(report.top_sources, 1)]
        return "\n".join(lines) + "\n"

    def _table(self, report: HygieneReport, rows: list[SourceRow]) -> str:
        header = COLUMNS[:-2]
        cells = [_cells(row)[:-2] for row in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [f"Alert hygiene, week {report.iso_week} ({report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} UTC)",
                 fmt.format(*header)]
        lines += [fmt.format(*c) for c in cells]
        lines.append("")
        if report.flagged:
            lines.append("Flagged:")
            for row in report.flagged:
                lines += [f"  {row.label} ({row.kind}):"] + [f"    - {f.advice}" for f in row.flags]
        else:
            lines.append("Nothing over the guide's thresholds.")
        if report.top_sources:
            lines.append("Top noisy sources:")
            lines += [f"  {i}. {s['source']} via {s['integration']} ({s['service']}): {s['noise_alerts']}/"
                      f"{s['alerts']} alerts" for i, s in enumerate(report.top_sources, 1)]
        return "\n".join(lines) + "\n"
