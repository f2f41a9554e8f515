"""The incident list's pages: "Older →" and "← Newer" links carry the position (a cursor), so every page reads
only its own rows; the page number labels the page; the total is counted up to a limit."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.services import incident_resolve
from incidents.views import lists
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")
LINK = re.compile(r'href="([^"]*)">\s*(← Newer|Older →)')


@pytest.fixture
def five_a_page(monkeypatch):
    monkeypatch.setattr(lists, "PAGE_SIZE", 5)


def make(service, n: int, *, same_time: bool = False) -> list:
    """n incidents, newest first as the list shows them."""
    start = timezone.now() - dt.timedelta(hours=1)
    made = [
        IncidentFactory(service=service, title=f"Incident {i:02}",
                        detected_at=start if same_time else start + dt.timedelta(minutes=i))
        for i in range(n)
    ]
    return sorted(made, key=lambda i: (i.detected_at, i.pk), reverse=True)


def links(response) -> dict[str, str]:
    return {label: LIST + html.unescape(href) for href, label in LINK.findall(response.content.decode())}


def titles(response) -> list[str]:
    return [i.title for i in response.context["page"].object_list]


@pytest.mark.parametrize("same_time", [False, True], ids=["distinct times", "all detected at once"])
def test_older_and_newer_links_walk_the_whole_list(client, engineer, service, five_a_page, same_time):
    expected = [i.title for i in make(service, 12, same_time=same_time)]
    client.force_login(engineer)

    first = client.get(LIST)
    second = client.get(links(first)["Older →"])
    third = client.get(links(second)["Older →"])
    back = client.get(links(third)["← Newer"])

    assert titles(first) + titles(second) + titles(third) == expected
    assert "Older →" not in links(third)
    assert titles(back) == titles(second)
    assert "Page 3 of 3 · 12 incidents" in third.content.decode()
    assert "Page 2 of 3" in back.content.decode()
    assert "cursor" not in links(back)["← Newer"]  # back on page 1: the plain list, with what is newest now


def test_links_keep_the_scope_and_filters(client, engineer, service, five_a_page):
    incidents = make(service, 8)
    for incident in incidents[:2]:
        incident_resolve(incident=incident, user=engineer)
    client.force_login(engineer)

    first = client.get(LIST, {"scope": "teams", "state": "open"})
    older = links(first)["Older →"]
    second = client.get(older)

    assert "state=open" in older and "scope=teams" in older
    assert titles(first) + titles(second) == [i.title for i in incidents[2:]]


def test_a_damaged_cursor_shows_the_first_page(client, engineer, service, five_a_page):
    incidents = make(service, 7)
    client.force_login(engineer)

    response = client.get(LIST, {"cursor": "not-a-cursor", "page": 4})

    assert response.status_code == 200
    assert titles(response) == [i.title for i in incidents[:5]]
    assert response.context["page"].number == 1


def test_a_long_list_says_more_than_the_count_limit(client, engineer, service, five_a_page, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    make(service, 12)
    client.force_login(engineer)

    page = client.get(LIST).content.decode()

    assert "Page 1 · more than 10 incidents" in page
    assert "Older →" in page


def test_a_page_number_without_a_cursor_still_works(client, engineer, service, five_a_page):
    incidents = make(service, 12)
    client.force_login(engineer)

    response = client.get(LIST, {"page": 2})

    assert titles(response) == [i.title for i in incidents[5:10]]
    assert titles(client.get(links(response)["← Newer"])) == [i.title for i in incidents[:5]]


def test_mine_lists_and_counts_exactly_my_roles_declared_and_acknowledged_incidents_i_may_see(
    client, engineer, engineer2, service, other_service, outsider, admin_user
):
    """"Mine" is read in one form and counted in another (incidents.selectors._incidents_of_counted); both give the
    incidents the user holds a role on (not one they were relieved of), declared or acknowledged, of those they
    may see: their team's and those granted to them."""
    from incidents.models import Incident, RoleAssignment
    from incidents.services import incident_assign_role

    now = timezone.now()
    declared = IncidentFactory(service=service, title="Declared")
    acknowledged = IncidentFactory(service=service, title="Acknowledged")
    both = IncidentFactory(service=service, title="Declared and acknowledged, and a role")
    role_elsewhere = IncidentFactory(service=other_service, title="Role on another team's")
    relieved = IncidentFactory(service=service, title="Relieved")
    unseen = IncidentFactory(service=other_service, title="Declared on another team's, no grant")
    IncidentFactory(service=service, title="A teammate's")
    Incident.objects.filter(pk__in=[declared.pk, both.pk, unseen.pk]).update(declared_by=engineer)
    Incident.objects.filter(pk__in=[acknowledged.pk, both.pk]).update(acknowledged_by=engineer, acknowledged_at=now)
    Incident.objects.filter(pk=unseen.pk).update(acknowledged_by=engineer, acknowledged_at=now)
    incident_assign_role(incident=both, role="scribe", assignee=engineer, user=engineer2)
    incident_assign_role(incident=role_elsewhere, role="sme", assignee=engineer, user=outsider)
    RoleAssignment.objects.create(incident=relieved, role="sme", user=engineer, assigned_at=now, relieved_at=now)
    expected = {declared.title, acknowledged.title, both.title, role_elsewhere.title}

    client.force_login(engineer)
    page = client.get(LIST, {"scope": "mine"}).context["page"]
    assert [i.title for i in page.object_list].count(both.title) == 1
    assert {i.title for i in page.object_list} == expected
    assert page.count == len(page.object_list) == len(expected)

    open_only = client.get(LIST, {"scope": "mine", "state": "open", "team": service.team.slug}).context["page"]
    assert {i.title for i in open_only.object_list} == expected - {role_elsewhere.title}
    assert open_only.count == 3

    # A superuser sees every incident: "mine" is then all they declared, acknowledged or hold a role on.
    Incident.objects.filter(pk=unseen.pk).update(declared_by=admin_user)
    client.force_login(admin_user)
    page = client.get(LIST, {"scope": "mine"}).context["page"]
    assert {i.title for i in page.object_list} == {unseen.title}
    assert page.count == 1
