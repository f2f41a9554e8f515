"""A small, hand-computed world for the metrics: four weeks of Payments incidents (Berlin working hours),
pages, alerts, a rotation, action items and runbooks. The expected values in the tests are worked out
from the times below, in the comments next to each row.

Window: Monday 2 March 2026 00:00 UTC → Monday 30 March 2026 00:00 UTC (4 weeks). "Now" is 1 April 12:00 UTC.
"""

import datetime as dt

import pytest

from incidents.metrics import metric_scope
from incidents.models import Alert, Incident, Service
from oncall.models import Notification, Team, TeamRole
from oncall.services import team_member_set
from postmortems.models import ActionItem, PostMortem
from tests.factories import ServiceFactory
from tests.factories.oncall import rotation_with

UTC = dt.UTC
SINCE = dt.datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = dt.datetime(2026, 3, 30, tzinfo=UTC)
NOW = dt.datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
MIN = dt.timedelta(minutes=1)


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def make_incident(service: Service, severity: str, detected: dt.datetime, *, ack=None, identified=None,
                  resolved=None, state=None, dedup_key=None, false_alarm=False, deadline=None, breached=False,
                  title="Incident") -> Incident:
    """An incident with exactly these times, written directly (metrics only read them). `ack`, `identified`
    and `resolved` are offsets from detection, to keep the arithmetic plain."""
    acknowledged_at = detected + ack if ack is not None else None
    identified_at = detected + identified if identified is not None else None
    resolved_at = detected + resolved if resolved is not None else None
    if state is None:
        state = "resolved" if resolved_at else "acknowledged" if acknowledged_at else "detected"
    return Incident.objects.create(
        service=service, title=title, severity=severity, detected_at=detected, state=state, dedup_key=dedup_key,
        acknowledged_at=acknowledged_at, investigating_at=acknowledged_at, identified_at=identified_at,
        resolved_at=resolved_at, false_alarm=false_alarm, ack_deadline=deadline,
        ack_breached_at=deadline if breached else None,
    )


def page(user, incident: Incident, when: dt.datetime, *, channel: str = "email") -> Notification:
    """A page notification as the paging services write them, sent at `when`."""
    row = Notification.objects.create(
        recipient=user, channel=channel, kind="page", topic=f"incident:{incident.pk}", subject="Page", body="…",
        idempotency_key=f"test:page:{incident.pk}:{user.pk}:{when.isoformat()}:{channel}", status="sent",
    )
    Notification.objects.filter(pk=row.pk).update(created_at=when)  # auto_now_add would say "now"
    return row


def alert(incident: Incident, when: dt.datetime, *, action: str = "trigger", fingerprint: str = "") -> Alert:
    return Alert.objects.create(
        incident=incident, service=incident.service, received_at=when, last_received_at=when,
        dedup_key=incident.dedup_key or f"key-{incident.pk}", fingerprint=fingerprint, action=action,
    )


def scope_of(team: Team | None = None, *, since=SINCE, until=UNTIL, now=NOW, **filters):
    teams = Team.objects.filter(pk=team.pk) if team else Team.objects.all()
    return metric_scope(teams=teams, since=since, until=until, now=now, **filters)


@pytest.fixture
def world(team, other_team, service, engineer, engineer2, manager, outsider):
    """Payments (Europe/Berlin, Mon–Fri 09:00–17:00): checkout-api (incidents), payments-db (quiet), a retired
    service; Search (America/New_York) with one incident that Payments must never see."""
    team_member_set(team=other_team, user=manager, role=TeamRole.ENGINEER)  # Mona is in Search too
    db = ServiceFactory(team=team, name="Payments DB", slug="payments-db", runbook_reviewed_at=at(2, 1))
    ServiceFactory(team=team, name="Legacy", slug="legacy", is_active=False)
    Service.objects.filter(pk=service.pk).update(runbook_reviewed_at=at(3, 25))
    search = ServiceFactory(team=other_team, name="Search API", slug="search-api")

    # Before the window: checkout-api's previous failure, which A recurs (dedup key "db-pool").
    z = make_incident(service, "P3", at(2, 20, 10), ack=10 * MIN, resolved=60 * MIN, dedup_key="db-pool")
    # In the window, seconds of:   MTTA  MTTI  MTTR  ack SLA
    #   A P1 closed                  240  1200  3000  met
    #   B P1 resolved                600  2400  7200  breached
    #   C P2 resolved                360  1800  3600  met
    #   D P2 open                   1200     —     —  missed (20 min > 15)
    #   E P3 false alarm            1800     —     —  met (4 business hours)
    #   F P2 resolved                180   600  1800  met
    a = make_incident(service, "P1", at(3, 2, 10), ack=4 * MIN, identified=24 * MIN, resolved=50 * MIN,
                      state="closed", dedup_key="db-pool", deadline=at(3, 2, 10, 5), title="A")
    b = make_incident(service, "P1", at(3, 9, 10), ack=10 * MIN, identified=50 * MIN, resolved=120 * MIN,
                      dedup_key="latency", deadline=at(3, 9, 10, 5), breached=True, title="B")
    c = make_incident(service, "P2", at(3, 10, 14), ack=6 * MIN, identified=36 * MIN, resolved=60 * MIN,
                      dedup_key="latency", deadline=at(3, 10, 14, 15), title="C")
    d = make_incident(service, "P2", at(3, 16, 3), ack=20 * MIN, state="investigating",
                      deadline=at(3, 16, 3, 15), title="D")
    e = make_incident(service, "P3", at(3, 17, 12), ack=30 * MIN, resolved=45 * MIN, false_alarm=True,
                      dedup_key="db-pool", deadline=at(3, 17, 16), title="E")
    f = make_incident(service, "P2", at(3, 23, 9), ack=3 * MIN, identified=13 * MIN, resolved=30 * MIN,
                      dedup_key="db-pool", deadline=at(3, 23, 9, 15), title="F")
    g = make_incident(search, "P1", at(3, 11, 12), ack=1 * MIN, resolved=5 * MIN, title="Search G")

    # Alerts: events per week 3 (one acknowledge follow-up not counted), 2, 0, 1.
    for when in (at(3, 2, 10), at(3, 2, 10, 1)):
        alert(a, when)
    alert(a, at(3, 2, 10, 2), action="firing", fingerprint="fp-pool")
    alert(a, at(3, 2, 10, 4), action="acknowledge")
    alert(b, at(3, 9, 10))
    alert(c, at(3, 10, 14))
    alert(f, at(3, 23, 9))
    alert(g, at(3, 11, 12))  # Search's

    # Pages (email rows count; a webhook copy is the same page). Berlin is UTC+1 until 29 March.
    page(engineer, a, at(3, 2, 10, 0, 5))             # Mon 11:00 Berlin: in hours; eli was on call
    page(engineer, b, at(3, 9, 10, 0, 5))             # Mon 11:00: in hours; erin on call
    page(engineer, b, at(3, 9, 10, 0, 5), channel="webhook")
    page(manager, c, at(3, 10, 17, 30))               # Tue 18:30 Berlin: after Payments hours (Mona is in 2 teams:
    #                                                   the incident's team counts; 13:30 in New York would not be)
    page(outsider, c, at(3, 11, 20))                  # Wed 21:00 Berlin but 16:00 New York: Otto's own team's hours
    page(engineer, d, at(3, 16, 3, 0, 5))             # Mon 04:00 Berlin: after hours; still erin's shift
    page(engineer2, d, at(3, 16, 3, 15))              # after hours; erin's shift, not eli's
    page(engineer, f, at(3, 23, 9, 0, 5))             # Mon 10:00: in hours; erin on call from 08:00 UTC
    page(outsider, g, at(3, 11, 3))                   # Search's incident: not Payments'

    # Primary rotation: weekly, Monday 09:00 Berlin, erin then eli, first hand-off 23 February.
    rotation_with(team, [engineer, engineer2], start_date=dt.date(2026, 2, 23), name="Payments primary")

    # Action items of A's post-mortem.
    postmortem = PostMortem.objects.create(incident=a, title="A")
    items = [
        ("on time", "done", dt.date(2026, 3, 5), at(3, 5, 15)),
        ("late", "done", dt.date(2026, 3, 10), at(3, 12, 9)),
        ("not done", "open", dt.date(2026, 3, 20), None),
        ("won't", "wont_do", dt.date(2026, 3, 25), None),
        ("later", "in_progress", dt.date(2026, 4, 15), None),
    ]
    for title, status, due, completed in items:
        ActionItem.objects.create(postmortem=postmortem, title=title, owner=engineer, status=status, due_date=due,
                                  completed_at=completed, wont_do_reason="Superseded" if status == "wont_do" else "")
    return {"z": z, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "db": db, "search": search}
