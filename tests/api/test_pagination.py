"""Keyset pagination: next/previous links walk every row exactly once, ties on detected_at included, and
cursors survive rows arriving meanwhile."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from tests.factories import IncidentFactory
from tests.factories.api import api_client

pytestmark = pytest.mark.django_db


def follow(client, url, key):
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return [row["id"] for row in body["results"]], body[key]


@pytest.fixture
def incidents(service):
    """13 incidents, several detected at the very same instant (bulk imports do that)."""
    base = timezone.now()
    detected = [base - dt.timedelta(minutes=m) for m in (0, 1, 1, 1, 1, 2, 3, 3, 4, 5, 6, 6, 7)]
    return [IncidentFactory(service=service, detected_at=at) for at in detected]


def test_walking_forward_then_back_visits_every_row_once_in_order(engineer, incidents):
    client = api_client(engineer)
    expected = [i.pk for i in sorted(incidents, key=lambda i: (i.detected_at, i.pk), reverse=True)]

    pages, url, last_url = [], "/api/v1/incidents/?page_size=4&severity=P2", None
    while url:
        last_url = url
        rows, url = follow(client, url, "next")
        pages.append(rows)
    assert [len(page) for page in pages] == [4, 4, 4, 1]
    assert [pk for page in pages for pk in page] == expected

    back, (_, url) = [], follow(client, last_url, "previous")
    while url:
        rows, url = follow(client, url, "previous")
        back.insert(0, rows)
    assert back == pages[:-1]


def test_links_keep_the_filters_and_the_first_page_has_no_previous(engineer, incidents):
    body = api_client(engineer).get("/api/v1/incidents/", {"page_size": 5, "severity": "P2"}).json()

    assert body["previous"] is None
    query = parse_qs(urlparse(body["next"]).query)
    assert query["severity"] == ["P2"]
    assert query["page_size"] == ["5"]


def test_new_incidents_do_not_shift_the_next_page(engineer, incidents, service):
    client = api_client(engineer)
    first = client.get("/api/v1/incidents/", {"page_size": 5}).json()

    IncidentFactory(service=service)  # newer than everything: lands before page 1, not in page 2
    second = client.get(first["next"]).json()

    seen = {row["id"] for row in first["results"]}
    assert not seen & {row["id"] for row in second["results"]}
    expected = [i.pk for i in sorted(incidents, key=lambda i: (i.detected_at, i.pk), reverse=True)][5:10]
    assert [row["id"] for row in second["results"]] == expected


def test_a_cursor_of_another_ordering_is_refused(engineer, incidents):
    client = api_client(engineer)
    cursor = parse_qs(urlparse(client.get("/api/v1/incidents/", {"page_size": 2}).json()["next"]).query)["cursor"][0]

    response = client.get("/api/v1/incidents/", {"cursor": cursor, "ordering": "severity"})

    assert response.status_code == 400
    assert response.json()["field"] == "cursor"


@pytest.mark.parametrize(
    "cursor",
    [
        "eyJvIjoiLWRldGVjdGVkX2F0IiwidiI6WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXSwiciI6ZmFsc2V9",  # naive date-time
        "eyJvIjoiLWRldGVjdGVkX2F0IiwidiI6WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsOTk5OTk5OTk5OTk5OTk5OTk5OTk5XSwiciI6ZmFsc2V9",
        "eyJvIjoiLWRldGVjdGVkX2F0IiwidiI6W251bGwsMV0sInIiOmZhbHNlfQ",  # null
        "eyJvIjoiLWRldGVjdGVkX2F0In0",  # no values
        "eyJvIjoibmFtZSIsInYiOlsiXHUwMDAwIiwxXSwiciI6ZmFsc2V9",  # NUL in a text key (services by name)
        "eyJvIjoibmFtZSIsInYiOlsiXHVkODAwIiwxXSwiciI6ZmFsc2V9",  # a lone surrogate
        "%%%",
        "x" * 2000,
    ],
)
def test_forged_cursors_are_400_not_500(engineer, incidents, cursor):
    url = "/api/v1/services/" if "eyJvIjoibmFtZSI" in cursor else "/api/v1/incidents/"
    response = api_client(engineer).get(url, {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["field"] == "cursor"
