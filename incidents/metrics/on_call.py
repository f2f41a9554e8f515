"""On-call load: alert volume per week, the false-positive rate, pages outside working hours (per week and per
person) and pages per on-call shift. Plain dicts; weeks are ISO weeks in UTC.

Definitions:
- Alert volume: events are the monitoring alerts received in the window (Alert rows, without the Events
  API's acknowledge/resolve follow-ups, which only update an alert); incidents are those detected. The
  headline is events per week per team, since the guide's "< 20 a week" is one on-call's load.
- False-positive rate: incidents detected in the window that were resolved as false alarms / all of them.
- Pages: one page is one person paged about one incident (an escalation level or a direct page): the
  outbox's page notification on the email channel, which every page has (a webhook is an extra copy).
  Pages count when sent in the window, for the scope's incidents.
- After hours: a page sent outside the working hours (days, start and end, in its time zone) of the
  recipient's team — of the incident's team when the person is in several teams or none. Evaluated in the
  database, in each team's time zone, so DST moves the working day with the wall clock.
- Pages per shift: each stretch someone was on call (a rotation's shift, or an override), clipped to the
  window, with the pages that person got meanwhile; the headline is pages per week of shift.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from bisect import bisect_left, bisect_right
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, CharField, Count, IntegerField, Min, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, ExtractIsoWeekDay, TruncTime, TruncWeek

from incidents.metrics.aggregates import bucket_of
from incidents.metrics.scope import MetricScope, day_start
from incidents.models import Alert, AlertAction
from oncall.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    Override,
    Rotation,
    RotationMember,
    Team,
    TeamMembership,
)
from oncall.schedule import build_shifts, cadence_for

UTC = dt.UTC
WEEK = dt.timedelta(days=7)
FOLLOW_UPS = (AlertAction.ACKNOWLEDGE, AlertAction.RESOLVE)


def _week(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC).date()
    return value


def _per_team_week(total: int, scope: MetricScope) -> float | None:
    weeks_of_teams = scope.week_count * scope.team_count
    return total / weeks_of_teams if weeks_of_teams else None


def alert_volume(scope: MetricScope, *, incidents_by_week: dict[dt.date, int] | None = None) -> dict:
    """Events and incidents per week of the window (every week listed), and events per week per team.
    `incidents_by_week` saves the incident count when the caller has it (response_times' by_week)."""
    alerts = Alert.objects.filter(
        service_id__in=scope.service_ids, received_at__gte=scope.since, received_at__lt=scope.until
    ).exclude(action__in=FOLLOW_UPS)
    if scope.severity:
        alerts = alerts.filter(incident__severity=scope.severity)
    if connection.vendor == "postgresql":
        # Which of the window's weeks, by binary search over their starts: cheaper than truncating each time.
        week = bucket_of("received_at", [day_start(week) for week in scope.weeks[1:]])
        events = {
            scope.weeks[index]: n
            for index, n in alerts.annotate(week=week).values("week").annotate(n=Count("pk"))
            .values_list("week", "n").order_by()
        }
    else:
        events = {
            _week(row["week"]): row["n"]
            for row in alerts.annotate(week=TruncWeek("received_at", tzinfo=UTC)).values("week")
            .annotate(n=Count("pk")).order_by()
        }
    if incidents_by_week is None:
        incidents_by_week = {
            _week(row["week"]): row["n"]
            for row in scope.detected().annotate(week=TruncWeek("detected_at", tzinfo=UTC))
            .values("week").annotate(n=Count("pk")).order_by()
        }
    weeks = [{"week": w, "events": events.get(w, 0), "incidents": incidents_by_week.get(w, 0)} for w in scope.weeks]
    total = sum(events.values())
    return {
        "weeks": weeks,
        "events": total,
        "incidents": sum(incidents_by_week.values()),
        "events_per_week_per_team": _per_team_week(total, scope),
        "busiest_week": max(weeks, key=lambda w: w["events"]) if total else None,
    }


def false_positives(scope: MetricScope, *, counts: dict | None = None) -> dict:
    """Incidents resolved as false alarms / all incidents detected in the window. `counts` ({"incidents",
    "false_alarms"}, from response_times' overall row) saves the query."""
    if counts is None:
        counts = scope.detected().aggregate(incidents=Count("pk"), false_alarms=Count("pk", filter=Q(false_alarm=True)))
    incidents, false_alarms = counts["incidents"], counts["false_alarms"]
    return {"incidents": incidents, "false_alarms": false_alarms,
            "rate": false_alarms / incidents if incidents else None}


# --- pages ---------------------------------------------------------------------------------------------------


def _topics(incidents: QuerySet) -> QuerySet:
    """The outbox topics ("incident:<id>") of these incidents, as a subquery. Notifications name their incident
    in text, so pages match on that text: a hash semi-join in PostgreSQL, and no cast that a stray topic could
    break."""
    return incidents.annotate(topic=Concat(Value("incident:"), Cast("pk", CharField()))).values("topic")


def scope_pages(scope: MetricScope) -> QuerySet[Notification]:
    """One row per person paged per page, for the scope's incidents, sent in the window. A scope of every team
    takes every incident's pages, without matching each to its incident."""
    pages = Notification.objects.filter(
        kind=NotificationKind.PAGE,
        channel=NotificationChannel.EMAIL,
        created_at__gte=scope.since,
        created_at__lt=scope.until,
    )
    if scope.every_team:
        return pages.filter(topic__startswith="incident:")
    return pages.filter(topic__in=_topics(_open_in_window(scope, scope.incidents())))


def _open_in_window(scope: MetricScope, incidents: QuerySet) -> QuerySet:
    """The incidents that were open at some time in the window: the only ones paged in it (people are paged
    about open incidents; reopening clears resolved_at until the next resolution)."""
    return incidents.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=scope.since),
                            detected_at__lt=scope.until)


class _IsoWeekDay(ExtractIsoWeekDay):
    """The ISO weekday (1 = Monday) in the given time zone. On PostgreSQL through date_part(), a float: EXTRACT()
    answers numeric since PostgreSQL 14, which costs a third more over every page of the window."""

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        return sql.replace("EXTRACT(ISODOW FROM ", "DATE_PART('isodow', ", 1), params


def _after_hours(scope: MetricScope, pages: QuerySet) -> tuple[QuerySet, Q]:
    """`pages` annotated with whether each was sent outside the working hours of the team whose hours apply to
    its recipient, and the condition "after hours" on that annotation. Whose hours apply is decided once per
    person, here (one small query): a person in exactly one team goes by that team; the others (several teams,
    or none) by the incident's team, when it is in scope. So each page is matched against one list of people
    and its team's working hours in one time zone, not against every team's."""
    teams = list(Team.objects.order_by("pk").values("pk", "time_zone", "working_days", "workday_starts",
                                                     "workday_ends"))
    zones = {zone: f"tz{i}" for i, zone in enumerate(sorted({team["time_zone"] for team in teams}))}
    annotations = {}
    for zone, alias in zones.items():
        tz = zoneinfo.ZoneInfo(zone)
        annotations[f"{alias}_weekday"] = _IsoWeekDay("created_at", tzinfo=tz)
        annotations[f"{alias}_time"] = TruncTime("created_at", tzinfo=tz)
    members_of: dict[int, list[int]] = defaultdict(list)
    for user_id, team_id in (
        TeamMembership.objects.values("user_id").annotate(teams=Count("team_id"), team=Min("team_id"))
        .filter(teams=1).values_list("user_id", "team").order_by("user_id")
    ):
        members_of[team_id].append(user_id)
    whens = []
    for team in teams:
        alias = zones[team["time_zone"]]
        working = Q(**{
            f"{alias}_weekday__in": [day + 1 for day in team["working_days"]],
            f"{alias}_time__gte": team["workday_starts"],
            f"{alias}_time__lt": team["workday_ends"],
        })
        if members_of[team["pk"]]:
            whens.append(When(Q(recipient_id__in=members_of[team["pk"]]), then=_flag_of(~working)))
    for team in teams:  # the rest: people in several teams, or in none, go by the incident's team
        if team["pk"] in scope.team_ids:
            alias = zones[team["time_zone"]]
            working = Q(**{
                f"{alias}_weekday__in": [day + 1 for day in team["working_days"]],
                f"{alias}_time__gte": team["workday_starts"],
                f"{alias}_time__lt": team["workday_ends"],
            })
            incidents = _open_in_window(scope, scope.incidents().filter(service__team_id=team["pk"]))
            whens.append(When(Q(topic__in=_topics(incidents)) & ~working, then=Value(1)))
    late = Case(*whens, default=Value(0), output_field=IntegerField()) if whens else Value(0)
    return pages.annotate(**annotations, after_hours_late=late), Q(after_hours_late=1)


def _flag_of(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _on_call_stretches(scope: MetricScope) -> list[tuple]:
    """(rotation, shift, start, end) for every stretch someone was on call in the scope's rotations, clipped
    to the window: the rotation's shifts with overrides laid on top (oncall.schedule). Three queries."""
    rotations = (
        Rotation.objects.filter(team_id__in=scope.team_ids)
        .select_related("team")
        .prefetch_related(
            Prefetch("rotation_members", RotationMember.objects.select_related("user").order_by("position")),
            Prefetch("overrides", Override.objects.filter(start__lt=scope.until, end__gt=scope.since)
                     .select_related("user").order_by("pk")),
        )
        .order_by("team__name", "kind")
    )
    stretches = []
    for rotation in rotations:
        members = [m.user for m in rotation.rotation_members.all()]
        for shift in build_shifts(cadence=cadence_for(rotation), members=members, overrides=rotation.overrides.all(),
                                  start=scope.since, end=scope.until, rotation_id=rotation.pk):
            start, end = max(shift.start, scope.since), min(shift.end, scope.until)
            if end > start:
                stretches.append((rotation, shift, start, end))
    return stretches


def _name(user: dict) -> str:
    return f"{user['first_name']} {user['last_name']}".strip() or user["username"]


def page_load(scope: MetricScope) -> dict:
    """After-hours pages per week and per person, and pages per on-call shift, from one query over the pages:
    counted per person and per slice of time between consecutive boundaries (of shifts and of weeks), then
    added up here per week, person and shift (rows per person and slice, not per page). Six queries in all."""
    stretches = _on_call_stretches(scope)
    week_starts = [day_start(week) for week in scope.weeks[1:]]
    edges = sorted({t for _, _, start, end in stretches for t in (start, end)} | set(week_starts))
    slice_weeks = [bisect_right(week_starts, start) for start in [scope.since, *edges]]  # slice → week index
    pages, after_hours = _after_hours(scope, scope_pages(scope))
    cells = _rows(
        pages.annotate(slice=bucket_of("created_at", edges))
        .values("recipient_id", "slice")
        .annotate(pages=Count("pk"), after_hours=Count("pk", filter=after_hours))
        .values_list("recipient_id", "slice", "pages", "after_hours")
        .order_by()
    )
    users = {
        u["pk"]: u for u in get_user_model().objects.filter(pk__in={cell[0] for cell in cells})
        .values("pk", "username", "first_name", "last_name")
    }
    weeks = [{"week": week, "pages": 0, "after_hours": 0} for week in scope.weeks]
    people: dict[int, dict] = {}
    person_weeks: dict[int, list[int]] = {}
    by_slice: dict[tuple, int] = defaultdict(int)
    for recipient, piece, count, late in cells:
        week = slice_weeks[min(piece, len(slice_weeks) - 1)]
        weeks[week]["pages"] += count
        weeks[week]["after_hours"] += late
        if recipient not in people:
            user = users[recipient]
            people[recipient] = {"id": recipient, "username": user["username"], "name": _name(user), "pages": 0,
                                 "after_hours": 0}
            person_weeks[recipient] = [0] * len(weeks)
        people[recipient]["pages"] += count
        people[recipient]["after_hours"] += late
        person_weeks[recipient][week] += late
        by_slice[(recipient, piece)] += count
    for pk, person in people.items():
        person["after_hours_per_week"] = person["after_hours"] / scope.week_count
        person["worst_week"] = max(person_weeks[pk])
    total = sum(w["after_hours"] for w in weeks)
    return {
        "after_hours": {
            "weeks": weeks,
            "people": sorted(people.values(), key=lambda p: (-p["after_hours"], -p["pages"], p["name"])),
            "pages": sum(w["pages"] for w in weeks),
            "after_hours": total,
            "after_hours_per_week_per_team": _per_team_week(total, scope),
        },
        "shifts": _shift_pages(stretches, edges, by_slice),
    }


def _rows(queryset: QuerySet) -> list[tuple]:
    """A values_list() queryset's rows, fetched without Django's per-row converters: plain integers here, and
    thousands of rows (a row per person and slice of time)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _shift_pages(stretches: list[tuple], edges: list[dt.datetime], by_slice: dict[tuple, int]) -> dict:
    by_rotation: dict[int, dict] = {}
    for rotation, shift, start, end in stretches:
        # The slices between this stretch's boundaries: bucket_of numbers them like bisect_right.
        slices = range(bisect_right(edges, start), bisect_left(edges, end) + 1)
        pages = sum(by_slice.get((shift.user.pk, i), 0) for i in slices)
        entry = by_rotation.setdefault(rotation.pk, {
            "team": rotation.team.slug, "rotation": rotation.name, "kind": rotation.kind, "shifts": [],
        })
        entry["shifts"].append({
            "user": {"id": shift.user.pk, "username": shift.user.get_username(),
                     "name": shift.user.get_full_name() or shift.user.get_username()},
            "start": start, "end": end, "source": shift.source, "pages": pages,
            "pages_per_week": pages / ((end - start) / WEEK),
        })
    for entry in by_rotation.values():
        shifts = entry["shifts"]
        entry["pages"] = sum(s["pages"] for s in shifts)
        entry["mean"] = entry["pages"] / len(shifts)
        entry["max"] = max(s["pages"] for s in shifts)
    shift_weeks = sum(((end - start) / WEEK for _, _, start, end in stretches), 0.0)
    total = sum(e["pages"] for e in by_rotation.values())
    return {
        "rotations": list(by_rotation.values()),
        "shifts": len(stretches),
        "pages": total,
        "mean_per_shift": total / len(stretches) if stretches else None,
        "pages_per_shift_week": total / shift_weeks if shift_weeks else None,
        "busiest": max((s for e in by_rotation.values() for s in e["shifts"]), key=lambda s: s["pages"],
                       default=None),
    }
