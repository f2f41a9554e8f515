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


def test_a_long_list_is_counted_up_to_the_limit_and_deep_pages_still_open(manager_client, service, monkeypatch):
    from incidents.admin_lists import IdsFirstPaginator

    monkeypatch.setattr(IncidentAdmin, "list_per_page", 2)
    monkeypatch.setattr(IdsFirstPaginator, "count_limit", 5)
    start = timezone.now() - dt.timedelta(hours=1)
    titles = [IncidentFactory(service=service, title=f"Incident {i}", detected_at=start + dt.timedelta(minutes=i)).title
              for i in range(9)][::-1]

    first = manager_client.get(CHANGELIST)
    fifth = manager_client.get(CHANGELIST, {"p": 5})  # past the counted 5 rows (3 pages)
    beyond = manager_client.get(CHANGELIST, {"p": 9})

    assert "more than 5 incidents" in first.content.decode()
    assert [i.title for i in fifth.context["cl"].result_list] == titles[8:]
    assert "?p=6" in fifth.content.decode()  # the links go on past the current page
    assert list(beyond.context["cl"].result_list) == []
