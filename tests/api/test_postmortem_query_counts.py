"""The post-mortem and action-item lists run the same number of queries for a page of 5 rows as for a page of
40, and page 2 costs what page 1 costs; a post-mortem's detail costs the same with 2 rows of each kind as
with 20."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems.models import ActionItemStatus, PostMortem, PostMortemTimelineEntry
from tests.factories import UserFactory
from tests.factories.api import api_client
from tests.factories.postmortems import (
    ActionItemFactory,
    FactorFactory,
    WhyFactory,
    draft_for,
    published,
    resolved_incident,
)

pytestmark = pytest.mark.django_db


def _postmortems(ctx, n):
    for i in range(n):
        incident = resolved_incident(service=ctx["service"], user=ctx["user"], title=f"Incident {i}")
        postmortem = draft_for(incident, resolver=ctx["user"], facilitator=ctx["user"])
        ActionItemFactory(postmortem=postmortem, owner=UserFactory(username=f"o{i}"))
        if i % 3 == 0:
            published(postmortem, user=ctx["user"])
    return "/api/v1/postmortems/"


def _action_items(ctx, n):
    postmortems = [
        draft_for(resolved_incident(service=ctx["service"], user=ctx["user"], title=f"Incident {i}"),
                  resolver=ctx["user"])
        for i in range(4)
    ]
    for i in range(n):
        postmortem = postmortems[i % 4]
        ActionItemFactory(
            postmortem=postmortem, owner=UserFactory(username=f"o{i}"), factor=FactorFactory(postmortem=postmortem),
            status=ActionItemStatus.IN_PROGRESS if i % 2 else ActionItemStatus.OPEN,
        )
    return "/api/v1/action-items/"


LISTS = {"post-mortems": _postmortems, "action items": _action_items}


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


@pytest.mark.parametrize("endpoint", LISTS)
def test_the_next_page_costs_what_the_first_costs(world, endpoint):
    url = LISTS[endpoint](world, 12)
    client = api_client(world["user"])
    client.get(url)

    first, page = queries(client, url, page_size=5)
    cursor = page["next"].split("cursor=")[1].split("&")[0]
    second, _ = queries(client, url, page_size=5, cursor=cursor)

    assert second == first


def _detail_with(ctx, n) -> PostMortem:
    incident = resolved_incident(service=ctx["service"], user=ctx["user"], title=f"Incident with {n} rows")
    postmortem = draft_for(incident, resolver=ctx["user"])
    start = timezone.now() - dt.timedelta(hours=2)
    for i in range(n):
        person = UserFactory(username=f"p{n}-{i}")
        postmortem.attendees.add(person)
        WhyFactory(postmortem=postmortem, position=i + 1)
        factor = FactorFactory(postmortem=postmortem)
        ActionItemFactory(postmortem=postmortem, owner=person, factor=factor)
        PostMortemTimelineEntry.objects.create(postmortem=postmortem, at=start + dt.timedelta(minutes=i),
                                               text=f"Step {i}")
    return postmortem


def test_a_detail_with_20_rows_of_each_kind_costs_what_2_cost(world):
    few_rows, many_rows = _detail_with(world, 2), _detail_with(world, 20)
    client = api_client(world["user"])
    client.get(f"/api/v1/postmortems/{few_rows.pk}/")

    few, small = queries(client, f"/api/v1/postmortems/{few_rows.pk}/")
    many, large = queries(client, f"/api/v1/postmortems/{many_rows.pk}/")

    assert (len(small["action_items"]), len(large["action_items"])) == (2, 20)
    assert (len(small["attendees"]), len(large["attendees"])) == (2, 20)
    assert many == few, f"{few} queries for 2 rows of each kind, {many} for 20"
