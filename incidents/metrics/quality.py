"""Quality metrics: recurrence, post-incident action-item completion and runbook coverage (plain dicts).

Definitions:
- Recurrence: an incident (not a false alarm) detected in the window recurs when the same service had
  another incident (not a false alarm) in the 90 days before it — inclusive, so exactly 90 days counts —
  with the same dedup key, or with an alert of the same Alertmanager fingerprint. Rate = recurring / all.
- Action-item completion: items due in the window (and already due: due date before today), except those
  closed as "won't do"; done on time = marked done no later than its due date (UTC). Rate = on time / due.
- Runbook coverage: active services whose runbook was reviewed in the 30 days up to the window's end /
  active services.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import Lag
from django.utils import timezone

from incidents.metrics.aggregates import sum_by
from incidents.metrics.scope import MetricScope
from incidents.models import Alert

RECURRENCE_WINDOW = dt.timedelta(days=90)
RUNBOOK_FRESH = dt.timedelta(days=30)


def recurrence(scope: MetricScope, *, top: int = 10) -> dict:
    """The recurrence rate, and the dedup keys that recurred most (what the weekly review files tickets for).
    One query: each failure's previous one with the same key, and each alert's previous incident with the
    same fingerprint, come from LAG() over one sort each, not from a probe per incident."""
    look_back = scope.since - RECURRENCE_WINDOW
    failures = scope.incidents().filter(false_alarm=False, detected_at__gte=look_back, detected_at__lt=scope.until)
    recent = Value(RECURRENCE_WINDOW)
    alerts = Alert.objects.filter(
        service_id__in=scope.service_ids, incident__false_alarm=False,
        received_at__gte=look_back,  # never before its incident: lets the (service, received_at) index help
        incident__detected_at__gte=look_back, incident__detected_at__lt=scope.until,
    ).exclude(fingerprint="")
    if scope.severity:
        alerts = alerts.filter(incident__severity=scope.severity)
    # Conditions on the rows LAG() looks at go inside the flags: Django applies plain filters before window
    # functions, which would hide the previous incidents from LAG().
    # Alertmanager names an alert by its fingerprint (one alert row per incident and fingerprint).
    by_fingerprint = alerts.annotate(
        previous=Window(
            Lag("incident__detected_at"), partition_by=[F("service_id"), F("fingerprint")],
            order_by=[F("incident__detected_at").asc(), F("incident_id").asc()],
        ),
        recurs=_flag(Q(incident__detected_at__gte=scope.since, previous__gte=F("incident__detected_at") - recent)),
    ).filter(recurs=1).values("incident_id")
    flagged = failures.annotate(
        previous=Window(
            Lag("detected_at"), partition_by=[F("service_id"), F("dedup_key")],
            order_by=[F("detected_at").asc(), F("id").asc()],
        ),
        counted=_flag(Q(detected_at__gte=scope.since)),
        recurs=_flag(Q(detected_at__gte=scope.since) & (
            Q(dedup_key__isnull=False, previous__gte=F("detected_at") - recent) | Q(pk__in=by_fingerprint)
        )),
    ).values("service_id", "dedup_key", "counted", "recurs")
    keys = sum_by(flagged, ["service_id", "dedup_key"], ["counted", "recurs"])
    incidents = sum(row["counted"] for row in keys)  # a row per (service, key): hundreds, not an incident each
    recurring = sum(row["recurs"] for row in keys)
    worst = sorted((row for row in keys if row["recurs"] and row["dedup_key"] is not None),
                   key=lambda row: (-row["recurs"], row["service_id"], row["dedup_key"]))[:top]
    services = dict(scope.services().filter(pk__in=[row["service_id"] for row in worst]).values_list("pk", "slug"))
    return {
        "incidents": incidents,
        "recurring": recurring,
        "rate": recurring / incidents if incidents else None,
        "window_days": RECURRENCE_WINDOW.days,
        "top": [{"service": services.get(row["service_id"]), "dedup_key": row["dedup_key"], "incidents": row["recurs"]}
                for row in worst],
    }


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def action_items(scope: MetricScope) -> dict:
    """Completion of the items due in the window (done by the due date / all due, won't-do left out), and
    the open items past their due date now, per team of the scope (teams with none listed too). One query."""
    from oncall.models import Team

    # Post-mortems build on incidents, not the other way round: looked up by name so that incidents does not
    # import them; metrics read them as any report would.
    action_item = apps.get_model("postmortems", "ActionItem")
    today = (scope.now or timezone.now()).astimezone(dt.UTC).date()
    first_day = scope.since.astimezone(dt.UTC).date()
    last_day = min(scope.until.astimezone(dt.UTC).date(), scope.as_of.astimezone(dt.UTC).date())  # exclusive
    due = Q(due_date__gte=first_day, due_date__lt=last_day) & ~Q(status="wont_do")
    done = Q(status="done")
    still_open = Q(status__in=("open", "in_progress"))
    items = action_item.objects.filter(postmortem__incident__service__team_id__in=scope.team_ids)
    if scope.service_id:
        items = items.filter(postmortem__incident__service_id=scope.service_id)
    if scope.severity:
        items = items.filter(postmortem__incident__severity=scope.severity)
    rows = list(
        items.values(team=F("postmortem__incident__service__team_id"))
        .annotate(
            due=Count("pk", filter=due),
            on_time=Count("pk", filter=due & done & Q(completed_at__date__lte=F("due_date"))),
            late=Count("pk", filter=due & done & Q(completed_at__date__gt=F("due_date"))),
            not_done=Count("pk", filter=due & still_open),
            open=Count("pk", filter=still_open),
            overdue=Count("pk", filter=still_open & Q(due_date__lt=today)),
        )
        .order_by()
    )
    total = {key: sum(row[key] for row in rows) for key in ("due", "on_time", "late", "not_done")}
    per_team = {row["team"]: row for row in rows}
    teams = Team.objects.filter(pk__in=scope.team_ids).order_by("name").values("pk", "slug", "name")
    return {
        "completion": {
            "due": total["due"], "done_on_time": total["on_time"], "done_late": total["late"],
            "not_done": total["not_done"], "rate": total["on_time"] / total["due"] if total["due"] else None,
        },
        "overdue_by_team": [
            {"team": t["slug"], "team_name": t["name"], "overdue": per_team.get(t["pk"], {}).get("overdue", 0),
             "open": per_team.get(t["pk"], {}).get("open", 0)}
            for t in teams
        ],
    }


def runbook_coverage(scope: MetricScope, *, stale_listed: int = 20) -> dict:
    """Active services whose runbook was reviewed in the 30 days before the window's end / active services,
    and the services that are not (oldest review first)."""
    fresh = Q(runbook_reviewed_at__gt=scope.until - RUNBOOK_FRESH, runbook_reviewed_at__lte=scope.until)
    active = scope.services().filter(is_active=True)
    totals = active.aggregate(active=Count("pk"), reviewed=Count("pk", filter=fresh))
    stale = (
        active.exclude(fresh)
        .select_related("team")
        .order_by(F("runbook_reviewed_at").asc(nulls_first=True), "name")
        .values("slug", "name", "team__slug", "runbook_reviewed_at")[:stale_listed]
    )
    return {
        "active_services": totals["active"],
        "reviewed": totals["reviewed"],
        "coverage": totals["reviewed"] / totals["active"] if totals["active"] else None,
        "fresh_days": RUNBOOK_FRESH.days,
        "stale": [
            {"service": s["slug"], "service_name": s["name"], "team": s["team__slug"],
             "reviewed_at": s["runbook_reviewed_at"]}
            for s in stale
        ],
    }
