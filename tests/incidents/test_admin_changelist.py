"""The incident changelist at scale: pages read ids first, the filters offer the services and teams the user's
incidents can be on (from the grants, not by reading every incident), and there is no full count."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.admin import IncidentAdmin
from incidents.services import incident_assign_role
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:incidents_incident_changelist")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_pages_hold_the_right_rows_in_order(manager_client, service, other_service, monkeypatch):
    monkeypatch.setattr(IncidentAdmin, "list_per_page", 4)
    start = timezone.now() - dt.timedelta(hours=1)
    ours = [IncidentFactory(service=service, title=f"Ours {i}", detected_at=start + dt.timedelta(minutes=i))
            for i in range(10)]
    IncidentFactory(service=other_service, title="Theirs")
    newest_first = [i.title for i in reversed(ours)]

    pages = [manager_client.get(CHANGELIST, {"p": p}).context["cl"] for p in (1, 2, 3)]

    assert [i.title for cl in pages for i in cl.result_list] == newest_first
    assert pages[0].result_count == 10
    assert pages[0].full_result_count is None  # no second count of the unfiltered list


def test_filters_offer_the_services_and_teams_of_visible_incidents(manager_client, manager, team, service,
                                                                    other_service, outsider):
    ServiceFactory(team=team, name="Ledger", slug="ledger")
    theirs = IncidentFactory(service=other_service, title="Search is slow")
    incident_assign_role(incident=theirs, role="sme", assignee=manager, user=outsider)
    IncidentFactory(service=ServiceFactory(name="Unrelated", slug="unrelated"))

    response = manager_client.get(CHANGELIST)

    choices = {spec.title: [label for _, label in spec.lookup_choices]
               for spec in response.context["cl"].filter_specs if hasattr(spec, "lookup_choices")}
    assert choices["service"] == ["Checkout API", "Ledger", "Search API"]
    assert choices["team"] == ["Payments", "Search"]
    filtered = manager_client.get(CHANGELIST, {"service__id__exact": other_service.pk}).context["cl"]
    assert [i.title for i in filtered.result_list] == ["Search is slow"]


def test_detected_date_filter_has_fixed_ranges(manager_client, service):
    old = IncidentFactory(service=service, title="Last year", detected_at=timezone.now() - dt.timedelta(days=400))
    recent = IncidentFactory(service=service, title="Today")

    week_ago = str(timezone.now() - dt.timedelta(days=7))
    cl = manager_client.get(CHANGELIST, {"detected_at__gte": week_ago}).context["cl"]

    assert list(cl.result_list) == [recent]
    assert old.title in manager_client.get(CHANGELIST).content.decode()


def test_a_long_list_is_counted_ahead_of_the_page_and_deep_pages_still_open(manager_client, service, monkeypatch):
    from incidents.admin_lists import IdsFirstPaginator

    monkeypatch.setattr(IncidentAdmin, "list_per_page", 2)
    monkeypatch.setattr(IdsFirstPaginator, "count_ahead", 5)
    start = timezone.now() - dt.timedelta(hours=1)
    titles = [IncidentFactory(service=service, title=f"Incident {i}", detected_at=start + dt.timedelta(minutes=i)).title
              for i in range(9)][::-1]

    first = manager_client.get(CHANGELIST)
    third = manager_client.get(CHANGELIST, {"p": 3})  # rows 5-6: the end (row 9) is within 5 rows of its start
    fifth = manager_client.get(CHANGELIST, {"p": 5})
    beyond = manager_client.get(CHANGELIST, {"p": 9})

    assert "more than 5 incidents" in first.content.decode()
    searched = manager_client.get(CHANGELIST, {"q": "Incident"}).content.decode()
    assert "more than 5 results" in searched and "5 results" not in searched.replace("more than 5 results", "")
    assert "?p=4" in first.content.decode()  # the links go on past what was counted
    assert [i.title for i in third.context["cl"].result_list] == titles[4:6]
    assert "9 incidents" in third.content.decode()
    assert [i.title for i in fifth.context["cl"].result_list] == titles[8:]
    assert "?p=6" not in fifth.content.decode()  # the exact end: no page after the last
    assert beyond.status_code == 302 and "e=1" in beyond["Location"]  # past the end, as Django answers it
    absurd = manager_client.get(CHANGELIST, {"p": 10**18})  # an offset beyond PostgreSQL's bigint
    assert absurd.status_code == 302 and "e=1" in absurd["Location"]


def test_select_all_does_not_claim_a_count_it_stopped_at(admin_client, service, monkeypatch):
    from incidents.admin_lists import IdsFirstPaginator

    monkeypatch.setattr(IncidentAdmin, "list_per_page", 2)
    monkeypatch.setattr(IdsFirstPaginator, "count_ahead", 3)
    for i in range(6):
        IncidentFactory(service=service, title=f"Incident {i}")

    page = admin_client.get(CHANGELIST).content.decode()

    assert "Select all incidents of this list (more than 3)" in page
    assert "Select all 3 incidents" not in page
    exact = admin_client.get(CHANGELIST, {"p": 3}).content.decode()  # rows 5-6: the end is within reach
    assert "Select all 6 incidents" in exact


def test_a_page_and_its_count_are_one_query_on_the_incidents(manager_client, service, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(IncidentAdmin, "list_per_page", 2)
    for i in range(5):
        IncidentFactory(service=service, title=f"Incident {i}")
    manager_client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(CHANGELIST, {"p": 2})
    on_incidents = [q["sql"] for q in queries if q["sql"].startswith('SELECT "incidents_incident"."id"')]
    assert len(on_incidents) == 2  # the ids with the count ahead, then the page's rows by id
    assert "COUNT(" not in " ".join(on_incidents)
    assert response.context["cl"].result_count == 5
