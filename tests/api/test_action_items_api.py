"""/api/v1/action-items/: the items of every post-mortem you may read and yours wherever they are; status
changes through action_item_set_status, fields through action_item_update, reassign; 403/404 as the pages."""

import datetime as dt

import pytest
from django.utils import timezone

from oncall.models import TeamRole
from postmortems.models import ActionItem, ActionItemStatus
from tests.factories.api import api_client
from tests.factories.oncall import member
from tests.factories.postmortems import ActionItemFactory, FactorFactory, draft_for, published, resolved_incident

pytestmark = pytest.mark.django_db
ITEMS = "/api/v1/action-items/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def draft(service, engineer):
    return draft_for(resolved_incident(service=service, user=engineer, title="Checkout returns 503"),
                     resolver=engineer)


@pytest.fixture
def done(service, manager):
    incident = resolved_incident(service=service, user=manager, title="Card payments failing")
    return published(draft_for(incident, resolver=manager), user=manager)


@pytest.fixture
def theirs(other_service, outsider):
    incident = resolved_incident(service=other_service, user=outsider, title="Search is slow")
    return published(draft_for(incident, resolver=outsider), user=outsider)


@pytest.fixture
def items(engineer, engineer2, draft, done, theirs):
    today = timezone.localdate()
    return {
        # Publishing needed one owned item each: Mona's on Payments', Otto's on Search's.
        "monas": ActionItem.objects.get(postmortem=done),
        "theirs": ActionItem.objects.get(postmortem=theirs),
        "mine_late": ActionItemFactory(postmortem=draft, owner=engineer, due_date=today - dt.timedelta(days=1)),
        "mine_done": ActionItemFactory(postmortem=done, owner=engineer, due_date=today - dt.timedelta(days=3),
                                       status=ActionItemStatus.DONE, completed_at=timezone.now()),
        "elis": ActionItemFactory(postmortem=draft, owner=engineer2, due_date=today + dt.timedelta(days=5)),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["elis", "mine_done", "mine_late", "monas"]),
        ("owner=me", ["mine_done", "mine_late"]),
        ("owner=eli", ["elis"]),
        ("status=open", ["elis", "mine_late", "monas"]),
        ("status=done&status=wont_do", ["mine_done"]),
        ("overdue=true", ["mine_late"]),
        ("overdue=false", ["elis", "mine_done", "monas"]),
        ("owner=me&overdue=true", ["mine_late"]),
        ("owner=mona&status=open", ["monas"]),
        ("team=search", []),
        ("postmortem=999999", []),
    ],
)
def test_action_item_filters(engineer, items, query, expected):
    assert sorted(ids(api_client(engineer).get(f"{ITEMS}?{query}"))) == sorted(items[n].pk for n in expected)


def test_action_items_say_where_they_come_from(engineer, items, draft):
    body = api_client(engineer).get(f"{ITEMS}{items['mine_late'].pk}/").json()

    assert (body["postmortem"], body["incident_reference"], body["team"]) == (
        draft.pk, draft.incident.reference, "payments"
    )
    assert body["overdue"] is True


def test_stakeholders_see_the_items_of_published_postmortems_only(stakeholder, items):
    client = api_client(stakeholder)

    assert sorted(ids(client.get(ITEMS))) == sorted(
        ActionItem.objects.filter(postmortem__state="published", postmortem__incident__service__team__slug="payments")
        .values_list("pk", flat=True)
    )
    assert client.get(f"{ITEMS}{items['elis'].pk}/").status_code == 404


def test_another_teams_item_is_404_unless_i_own_it(engineer, outsider, items, draft):
    theirs = items["theirs"]
    lent = ActionItemFactory(postmortem=draft, owner=outsider, title="Search team helps")

    assert api_client(engineer).get(f"{ITEMS}{theirs.pk}/").status_code == 404
    assert api_client(engineer).patch(f"{ITEMS}{theirs.pk}/", {"status": "done"}, format="json").status_code == 404
    response = api_client(outsider).get(f"{ITEMS}?owner=me")
    assert sorted(ids(response)) == sorted([theirs.pk, lent.pk])


def test_marking_done_stamps_completion(engineer, items):
    item = items["mine_late"]

    response = api_client(engineer).patch(f"{ITEMS}{item.pk}/", {"status": "done"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done" and response.json()["completed_at"]
    assert response.json()["overdue"] is False


def test_wont_do_needs_a_reason(engineer, items):
    url = f"{ITEMS}{items['mine_late'].pk}/"
    client = api_client(engineer)

    refused = client.patch(url, {"status": "wont_do"}, format="json")
    accepted = client.patch(url, {"status": "wont_do", "wont_do_reason": "Service retired"}, format="json")

    assert (refused.status_code, refused.json()["field"]) == (400, "wont_do_reason")
    assert accepted.status_code == 200
    assert accepted.json()["wont_do_reason"] == "Service retired"


def test_fields_change_through_the_update_service(engineer, items, draft):
    factor = FactorFactory(postmortem=draft)
    url = f"{ITEMS}{items['mine_late'].pk}/"

    response = api_client(engineer).patch(url, {
        "title": "Alert on pool saturation", "due_date": "2031-01-31", "factor": factor.pk,
        "tracker_url": "https://tracker.example.com/OPS-1",
    }, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["due_date"], body["factor"]) == ("Alert on pool saturation", "2031-01-31", factor.pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "eli"}, "owner"),  # through reassign
        ({"postmortem": 1}, "postmortem"),
        ({"completed_at": "2026-01-01T00:00:00Z"}, "completed_at"),
        ({"status": "finished"}, "status"),
        ({"tracker_url": "ftp://example.com/x"}, "tracker_url"),
        ({"title": ""}, "title"),
    ],
)
def test_action_item_patch_refuses_what_cannot_be_set(engineer, items, body, field):
    response = api_client(engineer).patch(f"{ITEMS}{items['mine_late'].pk}/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


def test_a_factor_of_another_postmortem_cannot_be_linked(engineer, items, done):
    factor = FactorFactory(postmortem=done)

    response = api_client(engineer).patch(f"{ITEMS}{items['mine_late'].pk}/", {"factor": factor.pk}, format="json")

    assert (response.status_code, response.json()["field"]) == (400, "factor")


def test_stakeholders_may_read_but_not_change_items(stakeholder, items):
    item = items["mine_done"]

    response = api_client(stakeholder).patch(f"{ITEMS}{item.pk}/", {"status": "open"}, format="json")

    assert response.status_code == 403


def test_reassign_hands_the_item_over(engineer, engineer2, items):
    item = items["mine_late"]

    response = api_client(engineer).post(f"{ITEMS}{item.pk}/reassign/", {"owner": "eli"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["owner"]["username"] == "eli"
    item.refresh_from_db()
    assert item.owner == engineer2


def test_an_owner_from_another_team_may_hand_their_item_on(outsider, engineer, draft):
    lent = ActionItemFactory(postmortem=draft, owner=outsider)

    response = api_client(outsider).post(f"{ITEMS}{lent.pk}/reassign/", {"owner": "erin"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["owner"]["username"] == "erin"


def test_reassigning_to_an_inactive_or_unknown_user_is_refused(engineer, items, team):
    gone = member(team, TeamRole.ENGINEER, username="gone", is_active=False)
    url = f"{ITEMS}{items['mine_late'].pk}/reassign/"

    for owner in (gone.username, "nobody", None):
        response = api_client(engineer).post(url, {"owner": owner}, format="json")
        assert (response.status_code, response.json()["field"]) == (400, "owner")
