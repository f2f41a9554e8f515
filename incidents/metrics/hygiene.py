"""The weekly alert hygiene review (the guide's "Continuous Improvement Process": review all alerts from the past
week, identify false positives — over 20 % means tune or remove —, update thresholds), per integration and per
service, for one ISO week (Monday 00:00 to Monday 00:00 UTC, like every metric on the insights page).

Each figure is a database aggregation; nothing loops over incidents or alerts in Python:
- alerts: the Alert rows received in the week, without the Events API's acknowledge/resolve follow-ups (the
  alert-volume metric's definition, incidents.metrics.on_call.alert_volume). A service counts all of its alerts,
  an integration those it sent.
- incidents: detected in the week — on the service, or opened by the integration (the integration of the
  incident's first alert).
- false-positive share: incidents resolved as false alarms (`false_alarm`, which the noise verdict "false alarm"
  sets: the insights page's false-positive rate) / incidents; noisy share: incidents with the verdict "noisy" /
  incidents.
- after-hours pages: the insights page's after-hours pages (incidents.metrics.on_call: one page per person paged
  on the email channel, outside the working hours of the recipient's team), sent in the week, about the
  service's incidents or those the integration opened.
- the stream verdict: an integration's latest noise verdict (IntegrationVerdict).

A source is flagged against the guide's on-call targets: more than 20 alerts a week, more than 20 % false
positives, more than 5 after-hours pages a week — and when responders marked its alert stream noisy or a false
alarm. Each flag carries the guide's advice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import CharField, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from config.errors import ApplicationError
from incidents.metrics.on_call import FOLLOW_UPS, _after_hours, _open_in_window, scope_pages
from incidents.metrics.scope import MetricScope, NotInScope, day_start, metric_scope, week_start
from incidents.models import Alert, Incident, Integration, IntegrationVerdict, NoiseVerdict, Service
from oncall.models import Team

UTC = dt.UTC
MAX_ALERTS_PER_WEEK = 20
MAX_FALSE_POSITIVE_SHARE = 0.20
MAX_AFTER_HOURS_PAGES_PER_WEEK = 5
TOP_SOURCES = 5

ADVICE = {
    "alerts": "More than 20 alerts a week: tune the alert (thresholds, grouping, deduplication) or remove it.",
    "false_positives": "More than 20 % false positives: tune the alert or remove it.",
    "after_hours": "More than 5 after-hours pages a week: fix the cause, or tune the alert (lower its severity so "
    "it waits for working hours) or remove it.",
    "stream_verdict": "Responders marked this alert stream {verdict}: tune the alert or remove it.",
}


@dataclass
class Flag:
    code: str
    advice: str


@dataclass
class SourceRow:
    kind: str  # "integration" or "service"
    pk: int
    name: str
    service_id: int
    service_name: str
    team_id: int
    team_slug: str
    alerts: int = 0
    incidents: int = 0
    false_alarms: int = 0
    noisy: int = 0
    after_hours_pages: int = 0
    stream_verdict: str = ""
    stream_reason: str = ""
    flags: list[Flag] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What names this source in a link or an action item: "integration:12", "service:3"."""
        return f"{self.kind}:{self.pk}"

    @property
    def false_positive_share(self) -> float | None:
        return self.false_alarms / self.incidents if self.incidents else None

    @property
    def noisy_share(self) -> float | None:
        return self.noisy / self.incidents if self.incidents else None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def stream_verdict_label(self) -> str:
        return NoiseVerdict(self.stream_verdict).label if self.stream_verdict else ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.service_name})" if self.kind == "integration" else self.name


@dataclass
class HygieneReport:
    week: dt.date  # the Monday
    since: dt.datetime
    until: dt.datetime
    integrations: list[SourceRow]
    services: list[SourceRow]
    top_sources: list[dict]

    @property
    def flagged(self) -> list[SourceRow]:
        return [row for row in (*self.integrations, *self.services) if row.flagged]

    def source(self, key: str) -> SourceRow | None:
        return next((row for row in (*self.integrations, *self.services) if row.key == key), None)

    @property
    def iso_week(self) -> str:
        year, week, _ = self.week.isocalendar()
        return f"{year}-W{week:02d}"


WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(value: str | dt.date | None, *, now: dt.datetime | None = None) -> dt.date:
    """The Monday of the week asked for: "2026-W47", any date in the week ("2026-11-18"), or, when empty, the last
    complete week. Raises ApplicationError for anything else."""
    if isinstance(value, dt.date):
        return value - dt.timedelta(days=value.weekday())
    value = (value or "").strip()
    if not value:
        return week_start(now or timezone.now()) - dt.timedelta(days=7)
    match = WEEK_PATTERN.match(value)
    try:
        day = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1) if match else dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ApplicationError("Give the week as 2026-W47 or a date in it (2026-11-18).", field="week") from exc
    # Both forms: the week's end is computed from its Monday, which overflows near the year 9999.
    if not 1970 <= day.year <= 2999:
        raise ApplicationError("Give a week between the years 1970 and 2999.", field="week")
    return day - dt.timedelta(days=day.weekday())


def _count(queryset: QuerySet, outer: str) -> Coalesce:
    """COUNT(*) of `queryset` per outer row (filtered on OuterRef already), as a scalar subquery."""
    counted = queryset.order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _opener() -> Subquery:
    """The integration that sent an incident's first alert (None: declared by a person, the API, a heartbeat)."""
    first = Alert.objects.filter(incident=OuterRef("pk")).order_by("received_at", "id")
    return Subquery(first.values("integration_id")[:1])


def _week_alerts(scope: MetricScope) -> QuerySet[Alert]:
    return Alert.objects.filter(
        service_id__in=scope.service_ids, received_at__gte=scope.since, received_at__lt=scope.until
    ).exclude(action__in=FOLLOW_UPS)


def _incident_counts(incidents: QuerySet[Incident], group: str) -> dict:
    rows = incidents.values(group).annotate(
        incidents=Count("pk"),
        false_alarms=Count("pk", filter=Q(false_alarm=True)),
        noisy=Count("pk", filter=Q(noise_verdict=NoiseVerdict.NOISY)),
    ).order_by()
    return {row[group]: row for row in rows}


def _after_hours_counts(scope: MetricScope) -> tuple[dict, dict]:
    """After-hours pages sent in the week per service and per opening integration: each incident's count is a
    correlated COUNT over the outbox (topic index), summed per group by the database."""
    pages, after_hours = _after_hours(scope, scope_pages(scope))
    per_incident = pages.filter(after_hours).filter(
        topic=Concat(Value("incident:"), Cast(OuterRef("pk"), CharField()))
    )
    incidents = _open_in_window(scope, scope.incidents()).annotate(
        after_hours_pages=_count(per_incident, "topic")
    ).filter(after_hours_pages__gt=0)
    by_service = {
        row["service_id"]: row["n"]
        for row in incidents.values("service_id").annotate(n=Sum("after_hours_pages")).order_by()
    }
    by_integration = {
        row["opener"]: row["n"]
        for row in incidents.annotate(opener=_opener()).values("opener").annotate(n=Sum("after_hours_pages"))
        .order_by() if row["opener"] is not None
    }
    return by_service, by_integration


def _flag(row: SourceRow) -> None:
    if row.alerts > MAX_ALERTS_PER_WEEK:
        row.flags.append(Flag("alerts", ADVICE["alerts"]))
    share = row.false_positive_share
    if share is not None and share > MAX_FALSE_POSITIVE_SHARE:
        row.flags.append(Flag("false_positives", ADVICE["false_positives"]))
    if row.after_hours_pages > MAX_AFTER_HOURS_PAGES_PER_WEEK:
        row.flags.append(Flag("after_hours", ADVICE["after_hours"]))
    if row.stream_verdict in (NoiseVerdict.NOISY, NoiseVerdict.FALSE_ALARM):
        label = NoiseVerdict(row.stream_verdict).label.lower()
        row.flags.append(Flag("stream_verdict", ADVICE["stream_verdict"].format(verdict=label)))


def hygiene_scope(*, teams: QuerySet[Team], team: str | None = None, week: dt.date,
                  now: dt.datetime | None = None) -> MetricScope:
    """The metrics scope of one week for `teams` (what the asker may see), optionally one team by slug.
    Raises NotInScope (a team outside `teams`)."""
    if team is not None and "\x00" in team:  # the pages pass the query string as it came; PostgreSQL refuses NUL
        raise NotInScope("No such team, or not one of yours.", field="team")
    since = day_start(week)
    return metric_scope(teams=teams, team=team, since=since, until=since + dt.timedelta(days=7),
                        now=now or timezone.now())


def alert_hygiene(scope: MetricScope, *, top: int = TOP_SOURCES) -> HygieneReport:
    """The week's hygiene figures per integration and per service of the scope, flagged against the guide's
    thresholds; the noisiest sources first within each list. A constant number of queries."""
    alerts = _week_alerts(scope)
    detected = scope.detected()
    ah_by_service, ah_by_integration = _after_hours_counts(scope)

    latest = IntegrationVerdict.objects.filter(integration=OuterRef("pk")).order_by("-at", "-id")
    integrations = (
        Integration.objects.filter(service_id__in=scope.service_ids)
        .annotate(
            week_alerts=_count(alerts.filter(integration=OuterRef("pk")), "integration"),
            verdict=Subquery(latest.values("verdict")[:1]),
            verdict_reason=Subquery(latest.values("reason")[:1]),
            team_id=F("service__team_id"), team_slug=F("service__team__slug"), service_name=F("service__name"),
        )
        .values("pk", "name", "service_id", "service_name", "team_id", "team_slug", "week_alerts", "verdict",
                "verdict_reason")
    )
    by_opener = _incident_counts(detected.annotate(opener=_opener()), "opener")
    integration_rows = []
    for i in integrations:
        counts = by_opener.get(i["pk"], {})
        integration_rows.append(SourceRow(
            kind="integration", pk=i["pk"], name=i["name"], service_id=i["service_id"],
            service_name=i["service_name"], team_id=i["team_id"], team_slug=i["team_slug"], alerts=i["week_alerts"],
            incidents=counts.get("incidents", 0), false_alarms=counts.get("false_alarms", 0),
            noisy=counts.get("noisy", 0), after_hours_pages=ah_by_integration.get(i["pk"], 0),
            stream_verdict=i["verdict"] or "", stream_reason=i["verdict_reason"] or "",
        ))

    services = (
        Service.objects.filter(pk__in=scope.service_ids)
        .annotate(week_alerts=_count(alerts.filter(service=OuterRef("pk")), "service"),
                  team_slug=F("team__slug"))
        .values("pk", "name", "team_id", "team_slug", "week_alerts")
    )
    by_service = _incident_counts(detected, "service_id")
    service_rows = []
    for s in services:
        counts = by_service.get(s["pk"], {})
        service_rows.append(SourceRow(
            kind="service", pk=s["pk"], name=s["name"], service_id=s["pk"], service_name=s["name"],
            team_id=s["team_id"], team_slug=s["team_slug"], alerts=s["week_alerts"],
            incidents=counts.get("incidents", 0), false_alarms=counts.get("false_alarms", 0),
            noisy=counts.get("noisy", 0), after_hours_pages=ah_by_service.get(s["pk"], 0),
        ))

    for row in (*integration_rows, *service_rows):
        _flag(row)

    def noisiest(row: SourceRow):
        return (-len(row.flags), -(row.false_alarms + row.noisy), -row.alerts, row.label.lower(), row.pk)

    integration_rows.sort(key=noisiest)
    service_rows.sort(key=noisiest)
    return HygieneReport(
        week=scope.since.date(), since=scope.since, until=scope.until, integrations=integration_rows,
        services=service_rows, top_sources=top_noisy_sources(alerts, top=top),
    )


def top_noisy_sources(alerts: QuerySet[Alert], *, top: int = TOP_SOURCES) -> list[dict]:
    """The alert sources (the sender's `source`, e.g. a host) that sent the most alerts ending in false alarms
    or noisy incidents this week, then the most alerts: [{integration, service, source, alerts, noise_alerts}]."""
    noise = Q(incident__false_alarm=True) | Q(incident__noise_verdict=NoiseVerdict.NOISY)
    rows = (
        alerts.values("integration_id", "integration__name", "service__name", "source")
        .annotate(alerts=Count("pk"), noise_alerts=Count("pk", filter=noise))
        .filter(noise_alerts__gt=0)
        .order_by("-noise_alerts", "-alerts", "source")[:top]
    )
    return [
        {"integration": row["integration__name"] or "—", "integration_id": row["integration_id"],
         "service": row["service__name"], "source": row["source"] or "(no source)", "alerts": row["alerts"],
         "noise_alerts": row["noise_alerts"]}
        for row in rows
    ]
