"""The alert hygiene page for managers, and the one step that turns a flagged source into an action item with an
owner and a due date (an item without a post-mortem, owned by the source's team, chased like any other)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from config.errors import ApplicationError
from incidents.ingestion.services import integration_create
from incidents.models import Alert
from oncall.models import Notification
from postmortems.models import ActionItem
from postmortems.selectors import can_update_action_item
from postmortems.services import action_item_set_status, action_items_remind_overdue, action_items_send_weekly_digest
from postmortems.services.hygiene import hygiene_action_item_create
from tests.factories import IncidentFactory
from tests.factories.api import api_client

pytestmark = pytest.mark.django_db

PAGE = "/postmortems/hygiene/"
CREATE = "/postmortems/hygiene/action-items/"


def this_monday() -> dt.date:
    today = timezone.now().astimezone(dt.UTC).date()
    return today - dt.timedelta(days=today.weekday())


@pytest.fixture
def noisy(service):
    """Prometheus on Checkout API sent 21 alerts this week: flagged (> 20 a week)."""
    integration = integration_create(user=None, service=service, name="Prometheus", kind="alertmanager")[0]
    incident = IncidentFactory(service=service, severity="P4", title="CPU high")
    start = timezone.now() - dt.timedelta(minutes=30)
    if start.date() < this_monday():
        start = timezone.make_aware(dt.datetime.combine(this_monday(), dt.time(0, 1)), dt.UTC)
    Alert.objects.bulk_create(
        Alert(incident=incident, integration=integration, service=service, received_at=start, last_received_at=start,
              dedup_key="cpu", action="firing", source="web-1")
        for _ in range(21)
    )
    return integration


def week() -> str:
    year, number, _ = this_monday().isocalendar()
    return f"{year}-W{number:02d}"


def test_managers_see_their_teams_flagged_sources(client, manager, noisy):
    client.force_login(manager)
    response = client.get(PAGE, {"week": week()})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-source="integration:{noisy.pk}"' in page
    assert "More than 20 alerts a week: tune the alert" in page
    assert "Create action item" in page


def test_engineers_and_other_teams_managers_do_not_get_the_page(client, engineer, noisy, other_team):
    from oncall.models import TeamRole
    from tests.factories.oncall import member

    client.force_login(engineer)
    assert client.get(PAGE).status_code == 404
    other_manager = member(other_team, TeamRole.MANAGER, username="olga")
    client.force_login(other_manager)
    page = client.get(PAGE, {"week": week()}).content.decode()
    assert "Prometheus" not in page


def test_a_bad_week_is_a_400_with_a_message(client, manager, noisy):
    client.force_login(manager)
    response = client.get(PAGE, {"week": "someday"})
    assert response.status_code == 400 and "Give the week as" in response.content.decode()


def test_one_step_from_flagged_source_to_action_item(client, manager, engineer, noisy, service):
    client.force_login(manager)
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = client.post(CREATE, {"source": f"integration:{noisy.pk}", "week": week(), "owner": engineer.pk,
                                    "due_date": due, "title": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("postmortems:hygiene"))
    item = ActionItem.objects.get()
    assert (item.postmortem, item.service, item.owner, item.due_date.isoformat()) == (None, service, engineer, due)
    assert item.title == "Tune or remove the alert: Prometheus (Checkout API)"
    assert "21 alerts" in item.description and "tune the alert" in item.description
    assert item.origin == f"hygiene:integration:{noisy.pk}:{week()}"
    # The owner is told, and finds it on "My action items".
    assert Notification.objects.filter(recipient=engineer, subject__contains=item.title).exists()
    client.force_login(engineer)
    mine = client.get(reverse("postmortems:my_action_items")).content.decode()
    assert item.title in mine and "alert hygiene · Checkout API" in mine
    # The page shows the item instead of the form; a second click makes no second item.
    client.force_login(manager)
    assert "data-action-item" in client.get(PAGE, {"week": week()}).content.decode()
    client.post(CREATE, {"source": f"integration:{noisy.pk}", "week": week(), "owner": engineer.pk})
    assert ActionItem.objects.count() == 1


def test_the_owner_must_be_on_the_team_and_the_source_flagged(manager, outsider, noisy, service):
    with pytest.raises(ApplicationError, match="member of the team"):
        hygiene_action_item_create(user=manager, source=f"integration:{noisy.pk}", week=this_monday(),
                                   owner=outsider)
    quiet = integration_create(user=None, service=service, name="Quiet", kind="events_v2")[0]
    with pytest.raises(ApplicationError, match="not flagged"):
        hygiene_action_item_create(user=manager, source=f"integration:{quiet.pk}", week=this_monday(), owner=manager)


def test_other_teams_sources_are_404(client, noisy, other_team, engineer):
    from oncall.models import TeamRole
    from tests.factories.oncall import member

    client.force_login(member(other_team, TeamRole.MANAGER, username="olga"))
    response = client.post(CREATE, {"source": f"integration:{noisy.pk}", "week": week(), "owner": engineer.pk})
    assert response.status_code == 404
    assert not ActionItem.objects.exists()


def test_a_missing_owner_is_a_400(client, manager, noisy):
    client.force_login(manager)
    response = client.post(CREATE, {"source": f"integration:{noisy.pk}", "week": week()})
    assert response.status_code == 400 and "Choose an owner." in response.content.decode()


def test_hygiene_items_are_chased_like_any_other(manager, engineer, engineer2, noisy):
    item, created = hygiene_action_item_create(user=manager, source=f"integration:{noisy.pk}", week=this_monday(),
                                               owner=engineer)
    assert created and can_update_action_item(engineer2, item)  # the team's responders move it along
    ActionItem.objects.filter(pk=item.pk).update(due_date=timezone.localdate() - dt.timedelta(days=2))
    now = timezone.now()
    assert action_items_remind_overdue(now=now) == 1
    assert action_items_send_weekly_digest(now=now) == 1
    digest = Notification.objects.filter(recipient=manager, subject__icontains="overdue").first()
    assert digest is not None and "alert hygiene · Checkout API" in digest.body
    item = action_item_set_status(item=item, user=engineer, status="done")
    assert item.completed_at is not None


def test_hygiene_items_in_the_api(manager, engineer, outsider, noisy):
    api = api_client
    item, _ = hygiene_action_item_create(user=manager, source=f"integration:{noisy.pk}", week=this_monday(),
                                         owner=engineer)
    listed = api(engineer).get("/api/v1/action-items/", {"team": "payments"}).json()["results"]
    assert [(i["id"], i["postmortem"], i["service"], i["team"]) for i in listed] == [
        (item.pk, None, "checkout-api", "payments")]
    assert api(outsider).get("/api/v1/action-items/").json()["results"] == []
    done = api(engineer).patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_managers_find_the_review_from_the_post_mortem_list(client, manager, engineer):
    client.force_login(manager)
    assert PAGE in client.get(reverse("postmortems:list")).content.decode()
    client.force_login(engineer)
    assert PAGE not in client.get(reverse("postmortems:list")).content.decode()


def test_another_teams_slug_is_404(client, manager, other_team, noisy):
    client.force_login(manager)
    assert client.get(PAGE, {"team": other_team.slug}).status_code == 404


def test_odd_teams_and_sources_are_answered_not_500(client, manager, engineer, noisy):
    client.force_login(manager)
    # A NUL byte in the team (PostgreSQL refuses it in text) is no team of theirs: 404 with the default report.
    assert client.get(PAGE, {"week": week(), "team": "pay\x00ments"}).status_code == 404
    response = client.post(CREATE, {"source": f"integration:{noisy.pk}", "week": week(), "team": "pay\x00ments"})
    assert response.status_code == 404  # the form's 400 page, for a team that is not theirs
    # "²" is a digit to str.isdigit() but not to int().
    response = client.post(CREATE, {"source": "service:²", "week": week(), "owner": engineer.pk})
    assert response.status_code == 400 and "Unknown source." in response.content.decode()
    response = client.post(CREATE, {"source": f"integration:{noisy.pk}", "week": "9999-W52", "owner": engineer.pk})
    assert response.status_code == 400
    assert not ActionItem.objects.exists()


def test_a_manager_opens_a_hygiene_item_in_the_admin(client, manager, engineer, noisy):
    # Hygiene items have no post-mortem; the admin's permission check used to read item.postmortem.incident (500).
    item, _ = hygiene_action_item_create(user=manager, source=f"integration:{noisy.pk}", week=this_monday(),
                                         owner=engineer)
    client.force_login(manager)
    response = client.get(reverse("admin:postmortems_actionitem_change", args=[item.pk]))
    assert response.status_code == 200 and item.title in response.content.decode()
    changelist = client.get(reverse("admin:postmortems_actionitem_changelist")).content.decode()
    assert item.title in changelist
