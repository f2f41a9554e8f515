"""What a set of metrics covers: a time window [since, until) and teams already limited to what the asker may
see, optionally narrowed to one team, one service and one severity. Every metric selector takes a scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from config.errors import ApplicationError
from incidents.models import Incident, Service, Severity
from oncall.models import Team
from oncall.selectors import teams_managed_by, teams_of

UTC = dt.UTC
DEFAULT_WINDOW = dt.timedelta(days=30)
MAX_WINDOW = dt.timedelta(days=3 * 366)
WEEK = dt.timedelta(days=7)


class NotInScope(ApplicationError):
    """A team or service that does not exist or that the asker may not see (the API answers 404)."""

    status_code = 404


@dataclass(frozen=True)
class MetricScope:
    since: dt.datetime
    until: dt.datetime
    team_ids: tuple[int, ...]
    service_id: int | None = None
    service_ids: tuple[int, ...] = ()  # the teams' services (or the one service): lets PostgreSQL use its indexes
    every_team: bool = False  # every team there is, all services and severities: nothing to match pages against
    severity: str | None = None
    now: dt.datetime | None = None  # when the metrics were asked for; None: now
    team_slug: str | None = None
    service_slug: str | None = None

    @property
    def as_of(self) -> dt.datetime:
        """The moment the answers are true at: now, or the window's end when that is earlier."""
        return min(self.now or timezone.now(), self.until)

    @property
    def weeks(self) -> list[dt.date]:
        """The Mondays (UTC) of the ISO weeks the window touches, oldest first; the trends have a point each."""
        first = week_start(self.since)
        last = week_start(self.until - dt.timedelta(microseconds=1))
        return [first + dt.timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]

    @property
    def week_count(self) -> float:
        """The window's length in weeks: what per-week averages divide by."""
        return (self.until - self.since) / WEEK

    @property
    def team_count(self) -> int:
        return 1 if self.service_id else len(self.team_ids)

    def services(self) -> QuerySet[Service]:
        services = Service.objects.filter(team_id__in=self.team_ids)
        return services.filter(pk=self.service_id) if self.service_id else services

    def incidents(self) -> QuerySet[Incident]:
        """Every incident of the scope's services (and severity), whenever it was detected."""
        incidents = Incident.objects.filter(service_id__in=self.service_ids)
        if self.severity:
            incidents = incidents.filter(severity=self.severity)
        return incidents.order_by()

    def detected(self) -> QuerySet[Incident]:
        """The scope's incidents detected in the window: what incident metrics count."""
        return self.incidents().filter(detected_at__gte=self.since, detected_at__lt=self.until)

    def describe(self) -> dict:
        return {
            "since": self.since, "until": self.until, "team": self.team_slug, "service": self.service_slug,
            "severity": self.severity,
        }


def week_start(at: dt.datetime) -> dt.date:
    day = at.astimezone(UTC).date()
    return day - dt.timedelta(days=day.weekday())


def insight_teams(user, *, managed: bool = False) -> QuerySet[Team]:
    """The teams whose metrics `user` sees: their teams on the insights page and in the API, the teams they
    manage in the admin dashboard; superusers see all."""
    if not user.is_authenticated:
        return Team.objects.none()
    return teams_managed_by(user) if managed else teams_of(user)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=UTC)


def metric_window(
    since: dt.datetime | dt.date | None, until: dt.datetime | dt.date | None, *, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """[since, until) from what was asked: dates mean midnight UTC, until defaults to now, since to 30 days
    before until. Raises ApplicationError when the window is empty, reversed, too long or out of range."""
    now = now or timezone.now()
    if isinstance(since, dt.date) and not isinstance(since, dt.datetime):
        since = day_start(since)
    if isinstance(until, dt.date) and not isinstance(until, dt.datetime):
        until = day_start(until)
    for name, value in (("since", since), ("until", until)):
        if value is not None and timezone.is_naive(value):
            raise ApplicationError(f"{name}: give a time zone (e.g. Z) or a plain date.", field=name)
        if value is not None and not 1970 <= value.astimezone(UTC).year <= 2999:
            raise ApplicationError(f"{name}: give a date between the years 1970 and 2999.", field=name)
    until = until.astimezone(UTC) if until else now
    since = since.astimezone(UTC) if since else until - DEFAULT_WINDOW
    if since >= until:
        raise ApplicationError("The window must end after it starts (since < until).", field="until")
    if until - since > MAX_WINDOW:
        raise ApplicationError(f"Ask for at most {MAX_WINDOW.days} days at a time.", field="since")
    return since, until


def metric_scope(
    *,
    teams: QuerySet[Team],
    team: str | None = None,
    service: str | None = None,
    severity: str | None = None,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
    now: dt.datetime | None = None,
) -> MetricScope:
    """The scope for `teams` (what the asker may see), narrowed by team slug, service slug and severity.
    Raises NotInScope for a team or service outside `teams`, ApplicationError for a bad severity or window."""
    now = now or timezone.now()
    since, until = metric_window(since, until, now=now)
    if severity and severity not in Severity.values:
        raise ApplicationError(f"severity: give one of {', '.join(Severity.values)}.", field="severity")
    if team:
        teams = teams.filter(slug=team)
        if not teams.exists():
            raise NotInScope("No such team, or not one of yours.", field="team")
    team_ids = tuple(teams.order_by("name", "id").values_list("pk", flat=True))
    services = dict(Service.objects.filter(team_id__in=team_ids).values_list("slug", "pk"))
    service_id = None
    if service:
        service_id = services.get(service)
        if service_id is None:
            raise NotInScope("No such service, or not one of your teams'.", field="service")
    return MetricScope(
        since=since, until=until, team_ids=team_ids, service_id=service_id, severity=severity or None,
        service_ids=(service_id,) if service_id else tuple(sorted(services.values())),
        every_team=not service_id and not severity and len(team_ids) == Team.objects.count(),
        now=now, team_slug=team or None, service_slug=service or None,
    )
