"""`manage.py metrics_report`: the monthly retrospective table as text, Markdown or CSV."""

import csv
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.metrics.conftest import NOW

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("metrics_report", *args, stdout=out)
    return out.getvalue()


def test_the_table_shows_each_metric_target_and_verdict(world):
    text = run("--since", "2026-03-02", "--until", "2026-03-30", "--team", "payments")

    lines = text.splitlines()
    assert lines[0] == "Incident retrospective, 2026-03-02 00:00 – 2026-03-30 00:00 UTC (Payments)"
    assert lines[3].split() == ["Metric", "Value", "Median", "p90", "n", "Target", "Status"]
    mtta_p1 = next(line for line in lines if line.startswith("MTTA P1"))
    assert mtta_p1.split() == ["MTTA", "P1", "7", "min", "7", "min", "9", "min", "24", "s", "2", "<", "5", "min",
                               "NOT", "MET"]
    assert any(line.startswith("Alerts per week") and line.endswith("met") for line in lines)


def test_the_default_is_last_calendar_month(world):
    text = run("--team", "payments")

    assert text.startswith("Incident retrospective, March 2026 (Payments)")


def test_markdown(world, tmp_path):
    target = tmp_path / "retro.md"

    message = run("--since", "2026-03-01", "--until", "2026-04-01", "--format", "markdown", "--output", str(target))

    assert message.strip() == f"Wrote the markdown report to {target}."
    markdown = target.read_text()
    assert markdown.startswith("## Incident retrospective, March 2026 (Payments, Search)")
    assert "| Metric | Value | Median | p90 | n | Target | Status |" in markdown
    assert "| Recurrence rate | 50 % |  |  | 6 | < 10 % | NOT MET |" in markdown  # Search's G too


def test_csv(world):
    rows = list(csv.DictReader(io.StringIO(run("--since", "2026-03-02", "--until", "2026-03-30", "--team",
                                               "payments", "--format", "csv"))))

    by_key = {row["key"]: row for row in rows}
    assert by_key["mttr_p2"]["value"] == "2700" and by_key["mttr_p2"]["status"] == "met"
    assert by_key["runbooks"]["value"] == "0.5" and by_key["runbooks"]["unit"] == "percent"
    assert by_key["mtta"]["target"] == "" and by_key["mtta"]["status"] == ""


@pytest.mark.parametrize(("args", "message"), [
    (("--team", "nope"), "No such team"),
    (("--since", "2026-03-30", "--until", "2026-03-02"), "must end after it starts"),
    (("--since", "March"), "is not a date"),
])
def test_bad_arguments_are_command_errors(world, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
