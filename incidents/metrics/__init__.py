"""The guide's "Metrics and Improvement" numbers, computed in the database.

One selector module per metric family, each taking a MetricScope (window and teams, already limited to what
the asker may see) and returning plain data:

- response: MTTA, MTTI, MTTR (mean, median, p90), acknowledgement SLA, MTBF
- quality: recurrence, action-item completion, runbook coverage
- on_call: alert volume, false positives, after-hours pages, pages per shift
- summary: all of them, and the headline table against the guide's targets (targets)

Shared pieces: scope (the window and teams, and who may see which), aggregates (durations in seconds,
PostgreSQL's percentile_cont and its window-function fallback for SQLite, width_bucket) and charts (the
geometry of the server-rendered SVG charts). Pages, the admin dashboard, the API and `manage.py
metrics_report` all call summary.metrics_all.
"""

from incidents.metrics.scope import MetricScope, NotInScope, insight_teams, metric_scope
from incidents.metrics.summary import metrics_all

__all__ = ["MetricScope", "NotInScope", "insight_teams", "metric_scope", "metrics_all"]
