"""Every list endpoint runs the same number of queries for a page of 5 rows as for a page of 40, and page 2
costs what page 1 costs (keyset pagination: no OFFSET, no COUNT)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import TimelineEntry, TimelineKind
from incidents.services import incident_acknowledge, incident_assign_role, incident_declare, status_update_post
from oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    Override,
    RotationKind,
    SwapRequest,
    TeamRole,
)
from tests.factories import IncidentFactory, ServiceFactory, TeamFactory, UserFactory
from tests.factories.api import api_client
from tests.factories.oncall import member, rotation_with

pytestmark = pytest.mark.django_db
SOON = dt.datetime(2031, 1, 6, 9, tzinfo=dt.UTC)


def _incidents(ctx, n):
    for i in range(n):
        incident, _ = incident_declare(service=ctx["service"], title=f"Incident {i}", user=ctx["user"])
        if i % 2:
            incident_acknowledge(incident=incident, user=ctx["user"])
    return "/api/v1/incidents/"


def _timeline(ctx, n):
    incident = IncidentFactory(service=ctx["service"])
    for i in range(n - 1):
        TimelineEntry.objects.create(incident=incident, kind=TimelineKind.NOTE, actor=ctx["user"], at=timezone.now(),
                                     note=f"note {i}")
    return f"/api/v1/incidents/{incident.pk}/timeline/"


def _status_updates(ctx, n):
    incident = IncidentFactory(service=ctx["service"])
    for i in range(n):
        status_update_post(incident=incident, user=ctx["user"], body=f"update {i}")
    return f"/api/v1/incidents/{incident.pk}/status-updates/"


def _roles(ctx, n):
    incident = IncidentFactory(service=ctx["service"])
    for i in range(n):
        incident_assign_role(incident=incident, role="sme", assignee=UserFactory(username=f"sme{i}"), user=ctx["user"])
    return f"/api/v1/incidents/{incident.pk}/roles/"


def _services(ctx, n):
    for i in range(n - 1):
        ServiceFactory(team=ctx["team"], name=f"Service {i:02}", slug=f"svc-{i}")
    return "/api/v1/services/"


def _teams(ctx, n):
    for i in range(n - 1):
        team = TeamFactory(name=f"Team {i:02}", slug=f"t-{i}")
        member(team, TeamRole.ENGINEER, username=ctx["user"].username)
        member(team, TeamRole.LEAD, username=f"lead-{i}")
    return "/api/v1/teams/"


def _rotations(ctx, n):
    for i in range(n):
        team = TeamFactory(name=f"Team {i:02}", slug=f"t-{i}")
        member(team, TeamRole.ENGINEER, username=ctx["user"].username)
        rotation_with(team, [ctx["user"], UserFactory(username=f"r{i}")], kind=RotationKind.PRIMARY, name="Primary")
    return "/api/v1/rotations/"


def _overrides(ctx, n):
    rotation = rotation_with(ctx["team"], [ctx["user"]], kind=RotationKind.PRIMARY, name="Primary")
    for i in range(n):
        Override.objects.create(rotation=rotation, user=UserFactory(username=f"o{i}"), created_by=ctx["user"],
                                start=SOON + dt.timedelta(days=i), end=SOON + dt.timedelta(days=i, hours=8))
    return "/api/v1/overrides/"


def _swaps(ctx, n):
    rotation = rotation_with(ctx["team"], [ctx["user"]], kind=RotationKind.PRIMARY, name="Primary")
    for i in range(n):
        SwapRequest.objects.create(rotation=rotation, requester=UserFactory(username=f"w{i}"),
                                   offered_to=ctx["user"], start=SOON + dt.timedelta(days=i),
                                   end=SOON + dt.timedelta(days=i, hours=8))
    return "/api/v1/swap-requests/"


def _policies(ctx, n):
    for i in range(n - 1):
        policy = EscalationPolicy.objects.create(team=ctx["team"], name=f"Policy {i}")
        EscalationLevel.objects.create(policy=policy, position=1, delay=dt.timedelta(0),
                                       target_kind=EscalationTarget.USER, target_user=UserFactory(username=f"p{i}"))
        EscalationLevel.objects.create(policy=policy, position=2, delay=dt.timedelta(minutes=5),
                                       target_kind=EscalationTarget.PRIMARY)
    return "/api/v1/escalation-policies/"


LISTS = {
    "incidents": _incidents, "timeline": _timeline, "status updates": _status_updates, "roles": _roles,
    "services": _services, "teams": _teams, "rotations": _rotations, "overrides": _overrides, "swaps": _swaps,
    "escalation policies": _policies,
}


def queries(client, url: str, **params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


@pytest.fixture
def world(team, service, manager):
    return {"team": team, "service": service, "user": manager}


@pytest.mark.parametrize("endpoint", LISTS)
def test_a_page_of_40_costs_what_a_page_of_5_costs(world, endpoint):
    url = LISTS[endpoint](world, 40)
    client = api_client(world["user"])
    # Warm up: the token's last-use stamp (written at most once a minute) and Django's content-type cache.
    client.get(url)

    few, small = queries(client, url, page_size=5)
    many, large = queries(client, url, page_size=40)

    assert (len(small["results"]), len(large["results"])) == (5, 40)
    assert many == few, f"{endpoint}: {few} queries for 5 rows, {many} for 40"


@pytest.mark.parametrize("endpoint", ["incidents", "timeline"])
def test_the_next_page_costs_what_the_first_costs(world, endpoint):
    url = LISTS[endpoint](world, 30)
    client = api_client(world["user"])
    client.get(url)

    first, page = queries(client, url, page_size=5)
    cursor = page["next"].split("cursor=")[1].split("&")[0]
    second, _ = queries(client, url, page_size=5, cursor=cursor)

    assert second == first
