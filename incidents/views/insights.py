"""The insights page: the guide's metrics for the user's teams, against its targets, with weekly trend charts.
The admin dashboard (incidents.admin_insights) shows the same for the teams a manager manages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from config.errors import ApplicationError
from incidents.metrics import charts, insight_teams, metric_scope, metrics_all
from incidents.metrics.summary import format_seconds, format_value
from incidents.metrics.targets import ALERTS_PER_WEEK, MTTA, MTTR
from incidents.models import Service, Severity

PERIODS = [("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last year"),
           ("custom", "Dates below")]


class InsightsFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, initial="30")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Until (not included)",
                            widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(required=False, choices=[("", "All severities"), *Severity.choices])

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        team_list = list(teams.order_by("name").values_list("slug", "name"))
        self.fields["team"].choices = [("", "All my teams" if len(team_list) != 1 else team_list[0][1]), *team_list]
        services = Service.objects.filter(team__in=teams).select_related("team").order_by("name")
        self.fields["service"].choices = [("", "All services"),
                                          *((s.slug, f"{s.name} ({s.team.name})") for s in services)]

    def window(self, now: dt.datetime) -> tuple:
        """(since, until) as metric_scope takes them: the dates when given (they win), or the period before now."""
        data = self.cleaned_data
        if data.get("since") or data.get("until") or data.get("period") == "custom":
            return data.get("since"), data.get("until")
        days = int(data.get("period") or 30)
        return now - dt.timedelta(days=days), now


def insights_context(request, *, teams, managed: bool = False) -> dict:
    """Everything the insights templates need, for the page and the admin dashboard alike: the filter form,
    the metrics for the chosen scope (or the error that stopped them) and the charts."""
    query = request.GET.copy()
    if query.get("since") or query.get("until"):
        query["period"] = "custom"  # dates win over a period; the select says so
    elif not query.get("period"):
        query["period"] = "30"
    form = InsightsFilterForm(query, teams=teams)
    context = {"form": form, "data": None, "charts": {}, "has_teams": teams.exists(), "managed": managed}
    if not context["has_teams"] or not form.is_valid():
        return context
    now = timezone.now()
    since, until = form.window(now)
    data = form.cleaned_data
    try:
        scope = metric_scope(teams=teams, team=data.get("team") or None, service=data.get("service") or None,
                             severity=data.get("severity") or None, since=since, until=until, now=now)
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return context
    context["data"] = with_display(metrics_all(scope))
    context["charts"] = build_charts(context["data"], scope)
    context["scope"] = scope
    return context


def with_display(data: dict) -> dict:
    """Adds `shown` (durations and shares as text) to the breakdown rows, for the tables."""
    response = data["response"]
    for row in [*response["by_severity"], *response["by_team"], *response["by_service"]]:
        row["shown"] = {
            **{metric: {part: format_seconds(row[metric][part]) for part in ("mean", "median", "p90")}
               for metric in ("mtta", "mtti", "mttr")},
            "sla": format_value(row["ack_sla"]["share"], "percent"),
        }
    return data


def _week_label(week: dt.date) -> str:
    return f"{week:%b} {week.day}"


def build_charts(data: dict, scope) -> dict:
    """The five charts the issue asks for, from the metrics: MTTA and MTTR per week, alert volume per week,
    incidents by severity, overdue action items per team and after-hours pages per person."""
    weeks = data["response"]["by_week"]
    labels = [_week_label(w["week"]) for w in weeks]
    result = {}
    for metric, title, targets in (("mtta", "MTTA per week", MTTA), ("mttr", "MTTR per week", MTTR)):
        values = [w[metric]["mean"] for w in weeks]
        unit, scale = charts.duration_unit(values)
        target = targets.get(scope.severity) if scope.severity else None
        result[metric] = charts.line_chart(
            f"{metric}-trend", title, labels, [{"key": metric, "label": f"{metric.upper()} (mean)", "values": values}],
            unit=unit, scale=scale, target=target.value if target else None,
            target_label=f"{scope.severity} target {target.text}" if target else "",
        )
    volume = data["on_call"]["alert_volume"]["weeks"]
    teams = scope.team_count or 1
    result["alert_volume"] = charts.bar_chart(
        "alert-volume", "Alert volume per week", [_week_label(w["week"]) for w in volume],
        [{"key": "events", "label": "Alerts", "values": [w["events"] for w in volume]},
         {"key": "incidents", "label": "Incidents", "values": [w["incidents"] for w in volume]}],
        unit="per week", target=ALERTS_PER_WEEK.value * teams,
        target_label=f"target {ALERTS_PER_WEEK.text}" + (f" × {teams} teams" if teams > 1 else ""),
    )
    severities = data["response"]["by_severity"]
    result["severity"] = charts.bar_chart(
        "severity", "Incidents by severity", [row["severity"] for row in severities],
        [{"key": "incidents", "label": "Incidents", "values": [row["incidents"] for row in severities]}],
    )
    for bar in result["severity"].bars:
        bar["css"] = f"sev-{bar['label'].lower()}"
    result["severity"].legend = []  # the bars are labelled and coloured by severity
    overdue = data["quality"]["action_items_overdue_by_team"]
    result["overdue"] = charts.hbar_chart(
        "overdue", "Action items overdue by team",
        [{"label": row["team_name"], "overdue": row["overdue"], "open": row["open"]} for row in overdue],
        [{"key": "overdue", "label": "Overdue"}, {"key": "open", "label": "Open"}],
    )
    people = data["on_call"]["after_hours"]["people"]
    result["after_hours"] = charts.hbar_chart(
        "after-hours", "Pages per person",
        [{"label": p["name"], "after_hours": p["after_hours"], "pages": p["pages"]} for p in people],
        [{"key": "after_hours", "label": "After hours"}, {"key": "pages", "label": "All pages"}],
    )
    return result


@login_required
def insights(request):
    """Engineers' view: their teams' metrics (superusers: every team's)."""
    return render(request, "insights/page.html", insights_context(request, teams=insight_teams(request.user)))
