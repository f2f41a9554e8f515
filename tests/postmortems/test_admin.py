"""The admin for managers: their teams' post-mortems and action items, filters, and bulk actions that go
through the services."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from oncall.models import Notification
from postmortems.models import ActionItemStatus
from tests.factories.postmortems import ActionItemFactory, draft_for, published, resolved_incident

pytestmark = pytest.mark.django_db

POSTMORTEMS = reverse("admin:postmortems_postmortem_changelist")
ITEMS = reverse("admin:postmortems_actionitem_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def other_draft(other_service, outsider):
    return draft_for(resolved_incident(service=other_service, user=outsider, title="Search is empty"),
                     resolver=outsider)


def test_managers_see_only_their_teams_postmortems(manager_client, draft, other_draft):
    response = manager_client.get(POSTMORTEMS)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [draft]
    change = reverse("admin:postmortems_postmortem_change", args=[other_draft.pk])
    assert manager_client.get(change, follow=True).redirect_chain == [(reverse("admin:index"), 302)]


def test_engineers_have_no_admin(client, engineer, draft):
    client.force_login(engineer)
    assert client.get(POSTMORTEMS).status_code == 302  # not staff: the admin login


def test_state_and_review_overdue_filters(manager_client, draft, engineer, service):
    late = draft_for(resolved_incident(service=service, user=engineer), resolver=engineer,
                     review_due_at=timezone.now() - dt.timedelta(hours=1))
    published(draft, user=engineer)

    assert list(manager_client.get(POSTMORTEMS + "?overdue=yes").context["cl"].result_list) == [late]
    assert list(manager_client.get(POSTMORTEMS + "?state__exact=published").context["cl"].result_list) == [draft]


def test_postmortems_are_read_only_here(manager_client, draft):
    page = manager_client.get(reverse("admin:postmortems_postmortem_change", args=[draft.pk])).content.decode()
    assert 'name="_save"' not in page
    assert f'href="/postmortems/{draft.pk}/"' in page or reverse("postmortems:detail", args=[draft.pk]) in page


def test_action_item_filters(manager_client, draft, engineer, engineer2, other_draft, outsider):
    today = timezone.localdate()
    late = ActionItemFactory(postmortem=draft, owner=engineer, due_date=today - dt.timedelta(days=1))
    ActionItemFactory(postmortem=draft, owner=engineer2, due_date=today + dt.timedelta(days=1))
    ActionItemFactory(postmortem=draft, owner=engineer, due_date=today - dt.timedelta(days=3),
                      status=ActionItemStatus.DONE, completed_at=timezone.now())
    ActionItemFactory(postmortem=other_draft, owner=outsider, due_date=today - dt.timedelta(days=1))

    assert manager_client.get(ITEMS).context["cl"].result_count == 3  # not Search's
    assert list(manager_client.get(ITEMS + "?overdue=yes").context["cl"].result_list) == [late]
    by_owner = manager_client.get(ITEMS + f"?owner__id__exact={engineer2.pk}").context["cl"].result_list
    assert [item.owner for item in by_owner] == [engineer2]


def test_bulk_mark_done_uses_the_service(manager_client, draft, engineer):
    items = [ActionItemFactory(postmortem=draft, owner=engineer) for _ in range(2)]
    response = manager_client.post(
        ITEMS, {"action": "mark_done", "_selected_action": [item.pk for item in items]}, follow=True
    )
    assert "2 action items marked done." in messages_of(response)
    for item in items:
        item.refresh_from_db()
        assert item.status == ActionItemStatus.DONE and item.completed_at is not None


def test_bulk_reassign_asks_for_the_owner_then_notifies_them(manager_client, draft, engineer, engineer2):
    published(draft, user=engineer)
    item = draft.action_items.get()
    Notification.objects.all().delete()
    selected = {"action": "reassign", "_selected_action": [item.pk]}

    confirm = manager_client.post(ITEMS, selected)
    assert confirm.status_code == 200
    assert "Reassign action items" in confirm.content.decode()

    response = manager_client.post(ITEMS, {**selected, "apply": "1", "owner": engineer2.pk}, follow=True)
    assert "1 action item reassigned to Eli Engineer." in messages_of(response)
    item.refresh_from_db()
    assert item.owner == engineer2
    assert Notification.objects.get(recipient=engineer2).subject == f"Action item for you: {item.title}"


def test_change_form_goes_through_the_service(manager_client, draft, engineer):
    item = ActionItemFactory(postmortem=draft, owner=engineer, title="Runbook")
    change = reverse("admin:postmortems_actionitem_change", args=[item.pk])
    from tests.html_forms import form_data

    data = form_data(manager_client.get(change).content, "actionitem_form")
    data.update({"status": "wont_do", "wont_do_reason": ""})
    response = manager_client.post(change, data)
    assert response.status_code == 200  # the model's rule, shown on the form
    assert "Say why this action item won" in response.content.decode()

    data.update({"status": "done"})
    assert manager_client.post(change, data).status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE and item.completed_at is not None


def test_managers_cannot_add_or_delete(manager_client, draft):
    assert manager_client.get(reverse("admin:postmortems_actionitem_add")).status_code == 403
    assert manager_client.get(reverse("admin:postmortems_postmortem_delete", args=[draft.pk])).status_code == 403
