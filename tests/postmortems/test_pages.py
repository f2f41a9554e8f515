"""The engineer pages: who sees what, the edit form with its formsets (with and without JavaScript), the
state buttons, the incident page's link, and “My action items”."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.services import incident_resolve
from postmortems.models import ActionItem, ActionItemStatus, PostMortem, PostMortemState, Why
from postmortems.services import postmortem_submit
from tests.factories import IncidentFactory
from tests.factories.postmortems import ActionItemFactory, FactorFactory, WhyFactory, complete, published
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def url(name: str, postmortem, **kwargs) -> str:
    return reverse(f"postmortems:{name}", kwargs={"pk": postmortem.pk, **kwargs})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def edit_form(client, postmortem) -> dict:
    response = client.get(url("edit", postmortem))
    assert response.status_code == 200
    return form_data(response.content, "postmortem-form")


# --- who sees what -----------------------------------------------------------------------------


def test_pages_need_login(client, draft):
    for address in (reverse("postmortems:list"), url("detail", draft), reverse("postmortems:my_action_items")):
        response = client.get(address)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_responders_see_and_edit_drafts(client, draft, engineer2):
    client.force_login(engineer2)
    assert client.get(url("detail", draft)).status_code == 200
    assert client.get(url("edit", draft)).status_code == 200
    assert draft.title in client.get(reverse("postmortems:list")).content.decode()


def test_stakeholders_read_only_published_postmortems(client, draft, engineer, stakeholder):
    client.force_login(stakeholder)
    assert client.get(url("detail", draft)).status_code == 404
    assert client.get(url("markdown", draft)).status_code == 404
    assert draft.title not in client.get(reverse("postmortems:list")).content.decode()

    published(draft, user=engineer)

    page = client.get(url("detail", draft))
    assert page.status_code == 200
    assert url("edit", draft) not in page.content.decode()
    assert client.get(url("edit", draft)).status_code == 403
    assert client.get(url("markdown", draft)).status_code == 200
    assert draft.title in client.get(reverse("postmortems:list")).content.decode()


def test_other_teams_get_404_even_when_published(client, draft, engineer, outsider):
    published(draft, user=engineer)
    client.force_login(outsider)
    for name in ("detail", "edit", "print", "markdown"):
        assert client.get(url(name, draft)).status_code == 404, name
    assert client.post(url("transition", draft, action="reopen"), {"note": "x"}).status_code == 404
    assert draft.title not in client.get(reverse("postmortems:list")).content.decode()


def test_an_action_item_owner_from_another_team_reads_the_published_postmortem(client, draft, engineer, outsider):
    ActionItemFactory(postmortem=draft, owner=outsider, title="Tune the search cache")
    published(draft, user=engineer)
    client.force_login(outsider)
    assert client.get(url("detail", draft)).status_code == 200
    assert client.get(url("edit", draft)).status_code == 403


def test_detail_page_runs_a_constant_number_of_queries(client, draft, engineer):
    client.force_login(engineer)
    complete(draft, owner=engineer)
    client.get(url("detail", draft))
    with CaptureQueriesContext(connection) as few:
        client.get(url("detail", draft))
    for n in range(5):
        WhyFactory(postmortem=draft, position=10 + n)
        FactorFactory(postmortem=draft)
        ActionItemFactory(postmortem=draft, owner=engineer)
    with CaptureQueriesContext(connection) as many:
        client.get(url("detail", draft))
    assert len(many) == len(few)


# --- the edit form ----------------------------------------------------------------------------


def test_edit_form_saves_sections_and_rows(client, draft, engineer, engineer2):
    client.force_login(engineer)
    data = edit_form(client, draft)
    assert data["timeline-TOTAL_FORMS"] == str(draft.timeline.count() + 1)
    assert data["factors-TOTAL_FORMS"] == "5"  # a blank row on each bone

    data.update({
        "executive_summary": "Checkout failed for 20 minutes.",
        "root_cause": "An unreviewed timeout change.",
        "whys-0-question": "Why did checkout fail?",
        "whys-0-answer": "The pool was exhausted.",
        "factors-2-title": "Timeout setting",  # the Materials bone's blank row
        "factors-2-description": "60s instead of 5s.",
        "action_items-0-title": "Alert on pool saturation",
        "action_items-0-owner": str(engineer2.pk),
        "action_items-0-horizon": "immediate",
        "then": "preview",
    })
    response = client.post(url("edit", draft), data)

    assert response.status_code == 302
    assert response.url == url("detail", draft)
    draft.refresh_from_db()
    assert draft.executive_summary == "Checkout failed for 20 minutes."
    assert list(draft.whys.values_list("position", "question")) == [(1, "Why did checkout fail?")]
    factor = draft.contributing_factors.get()
    assert (factor.category, factor.title) == ("materials", "Timeout setting")
    item = draft.action_items.get()
    assert item.owner == engineer2
    assert item.due_date == timezone.localdate() + dt.timedelta(days=7)  # proposed by the horizon
    assert item.status == ActionItemStatus.OPEN


def test_saving_an_unchanged_form_changes_nothing(client, draft, engineer):
    ActionItemFactory(postmortem=draft, owner=engineer, title="Keep me")
    client.force_login(engineer)
    before = list(draft.timeline.values_list("at", "text", "is_key_event"))
    response = client.post(url("edit", draft), edit_form(client, draft))
    assert response.status_code == 302
    assert list(draft.timeline.values_list("at", "text", "is_key_event")) == before
    assert list(draft.action_items.values_list("title", flat=True)) == ["Keep me"]


def test_a_stale_form_does_not_undo_a_quick_status_change(client, draft, engineer):
    item = ActionItemFactory(postmortem=draft, owner=engineer, title="Write the runbook")
    client.force_login(engineer)
    data = edit_form(client, draft)
    client.post(reverse("postmortems:action_item_status", kwargs={"pk": item.pk}), {"status": "done"})
    data["executive_summary"] = "Edited meanwhile."
    assert client.post(url("edit", draft), data).status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE


def test_rows_are_edited_reordered_and_removed(client, draft, engineer):
    first = WhyFactory(postmortem=draft, position=1, question="First?", answer="A")
    second = WhyFactory(postmortem=draft, position=2, question="Second?", answer="B")
    entry = draft.timeline.order_by("at", "id").first()
    client.force_login(engineer)
    data = edit_form(client, draft)
    data.update({"whys-0-step": "2", "whys-1-step": "1", "whys-1-answer": "B, reworded",
                 "timeline-0-DELETE": "on"})
    assert data["timeline-0-id"] == str(entry.pk)
    assert client.post(url("edit", draft), data).status_code == 302

    assert list(Why.objects.filter(postmortem=draft).values_list("pk", "position", "answer")) == [
        (second.pk, 1, "B, reworded"), (first.pk, 2, "A"),
    ]
    assert not draft.timeline.filter(pk=entry.pk).exists()
    assert entry.source_entry.__class__.objects.filter(pk=entry.source_entry_id).exists()  # incident's stays


def test_invalid_rows_show_errors_and_keep_what_was_typed(client, draft, engineer):
    client.force_login(engineer)
    data = edit_form(client, draft)
    data.update({"executive_summary": "Typed before the mistake.", "whys-0-question": "Why?",
                 "action_items-0-title": "Won't fix", "action_items-0-status": "wont_do"})
    response = client.post(url("edit", draft), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Typed before the mistake." in page
    assert "This field is required." in page  # the why's answer
    assert "Say why this action item won&#x27;t be done." in page
    assert any("Nothing was saved" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.executive_summary == ""


def test_add_row_without_javascript_keeps_what_was_typed(client, draft, engineer):
    client.force_login(engineer)
    data = edit_form(client, draft)
    data.update({"executive_summary": "Half written", "whys-0-question": "Why one?", "whys-0-answer": "One.",
                 "add": "whys"})
    response = client.post(url("edit", draft), data)

    assert response.status_code == 200
    again = form_data(response.content, "postmortem-form")
    assert again["whys-TOTAL_FORMS"] == "2"
    assert again["executive_summary"] == "Half written"
    assert again["whys-0-question"] == "Why one?"
    assert again["whys-1-question"] == ""
    assert "This field is required" not in response.content.decode()  # nothing validated yet
    assert not Why.objects.filter(postmortem=draft).exists()  # nor saved

    factors = client.post(url("edit", draft), {**again, "add": "factors:environment"})
    rows = form_data(factors.content, "postmortem-form")
    assert rows["factors-TOTAL_FORMS"] == "6"
    assert rows["factors-5-category"] == "environment"

    again.update({"whys-1-question": "Why two?", "whys-1-answer": "Two."})
    again.pop("add", None)
    assert client.post(url("edit", draft), again).status_code == 302
    assert list(draft.whys.values_list("question", flat=True)) == ["Why one?", "Why two?"]


def test_published_postmortems_are_read_only(client, draft, engineer):
    published(draft, user=engineer)
    client.force_login(engineer)
    response = client.get(url("edit", draft), follow=True)
    assert response.redirect_chain == [(url("detail", draft), 302)]
    assert any("read-only" in m for m in messages_of(response))


def test_importing_new_incident_timeline_entries(client, draft, engineer):
    from incidents.services import status_update_post

    client.force_login(engineer)
    status_update_post(incident=draft.incident, user=engineer, body="Post-incident note")
    count = draft.timeline.count()
    response = client.post(url("timeline_import", draft), follow=True)
    assert any("Copied 1 new incident timeline entry" in m for m in messages_of(response))
    assert draft.timeline.count() == count + 1
    client.post(url("timeline_import", draft))
    assert draft.timeline.count() == count + 1


# --- state buttons ------------------------------------------------------------------------------


def test_publish_button_lists_what_is_missing(client, draft, engineer):
    client.force_login(engineer)
    postmortem_submit(postmortem=draft, user=engineer)
    page = client.get(url("detail", draft)).content.decode()
    assert "Before it can be published" in page and "Write the executive summary." in page

    response = client.post(url("transition", draft, action="publish"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Not ready to publish:" in page
    for problem in ("Write the executive summary.", "Write the root cause.",
                    "Add at least one 5-whys step or contributing factor.",
                    "Add at least one action item, with an owner and a due date."):
        assert f"<li>{problem}</li>" in page
    draft.refresh_from_db()
    assert draft.state == PostMortemState.IN_REVIEW


def test_submit_and_publish_through_the_page(client, draft, engineer):
    complete(draft, owner=engineer)
    client.force_login(engineer)
    page = client.get(url("detail", draft)).content.decode()
    assert url("transition", draft, action="submit") in page
    assert url("transition", draft, action="publish") not in page

    response = client.post(url("transition", draft, action="submit"), {"note": "For Thursday"}, follow=True)
    assert any("submitted for review" in m for m in messages_of(response))
    response = client.post(url("transition", draft, action="publish"), follow=True)
    assert any("is published" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.state == PostMortemState.PUBLISHED


def test_engineers_who_may_not_publish_get_403(client, draft, engineer, engineer2):
    complete(draft, owner=engineer)
    postmortem_submit(postmortem=draft, user=engineer)
    client.force_login(engineer2)
    assert url("transition", draft, action="publish") not in client.get(url("detail", draft)).content.decode()
    assert client.post(url("transition", draft, action="publish")).status_code == 403


def test_manager_reopens_through_the_page(client, draft, engineer, manager):
    published(draft, user=engineer)
    client.force_login(engineer)
    assert url("transition", draft, action="reopen") not in client.get(url("detail", draft)).content.decode()
    client.force_login(manager)
    assert client.post(url("transition", draft, action="reopen"), {"note": ""}).status_code == 400
    response = client.post(url("transition", draft, action="reopen"), {"note": "Wrong root cause"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == PostMortemState.DRAFT


# --- the incident page's link --------------------------------------------------------------------


def test_incident_link_leads_to_the_postmortem_or_starts_one(client, service, engineer, stakeholder, draft):
    client.force_login(engineer)
    existing = reverse("postmortems:for_incident", kwargs={"incident_pk": draft.incident_id})
    assert client.get(existing).url == url("detail", draft)

    p3 = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    start = reverse("postmortems:for_incident", kwargs={"incident_pk": p3.pk})
    assert "Start the post-mortem" in client.get(start).content.decode()
    client.force_login(stakeholder)
    assert "Start the post-mortem" not in client.get(start).content.decode()
    assert "The team is writing" in client.get(existing).content.decode()
    assert client.post(start).status_code == 403 and not PostMortem.objects.filter(incident=p3).exists()

    client.force_login(engineer)
    response = client.post(start)
    postmortem = PostMortem.objects.get(incident=p3)
    assert response.url == url("edit", postmortem)


def test_incident_link_is_404_for_other_teams(client, draft, outsider):
    client.force_login(outsider)
    assert client.get(reverse("postmortems:for_incident", kwargs={"incident_pk": draft.incident_id})).status_code == 404


# --- my action items ----------------------------------------------------------------------------


def test_my_action_items_groups_and_quick_status_changes(client, draft, engineer, engineer2):
    today = timezone.localdate()
    late = ActionItemFactory(postmortem=draft, owner=engineer, title="Late one", due_date=today - dt.timedelta(days=2))
    soon = ActionItemFactory(postmortem=draft, owner=engineer, title="Soon one", due_date=today + dt.timedelta(days=2))
    ActionItemFactory(postmortem=draft, owner=engineer2, title="Not mine")
    client.force_login(engineer)

    response = client.get(reverse("postmortems:my_action_items"))
    assert [i.title for i in response.context["overdue"]] == ["Late one"]
    assert [i.title for i in response.context["open"]] == ["Soon one"]
    assert "Not mine" not in response.content.decode()

    status_url = reverse("postmortems:action_item_status", kwargs={"pk": late.pk})
    client.post(status_url, {"status": "in_progress"})
    response = client.post(status_url, {"status": "done"}, follow=True)
    assert any("“Late one” is now done." in m for m in messages_of(response))
    late.refresh_from_db()
    assert late.status == ActionItemStatus.DONE and late.completed_at is not None

    soon_url = reverse("postmortems:action_item_status", kwargs={"pk": soon.pk})
    response = client.post(soon_url, {"status": "wont_do", "reason": ""}, follow=True)
    assert any("Say why “Soon one” won't be done." in m for m in messages_of(response))
    client.post(soon_url, {"status": "wont_do", "reason": "Superseded by OPS-7"})
    soon.refresh_from_db()
    assert (soon.status, soon.wont_do_reason) == (ActionItemStatus.WONT_DO, "Superseded by OPS-7")
    assert [i.title for i in client.get(reverse("postmortems:my_action_items")).context["closed"]] == [
        "Late one", "Soon one"
    ]


def test_other_peoples_items_cannot_be_changed_from_outside_the_team(client, draft, engineer, outsider, stakeholder):
    item = ActionItemFactory(postmortem=draft, owner=engineer)
    status_url = reverse("postmortems:action_item_status", kwargs={"pk": item.pk})
    for user in (outsider, stakeholder):
        client.force_login(user)
        assert client.post(status_url, {"status": "done"}).status_code == 404
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert ActionItem.objects.count() == 1


def test_changing_the_owner_tells_the_new_one(client, draft, engineer, engineer2):
    from oncall.models import Notification

    client.force_login(engineer)
    data = edit_form(client, draft)
    data["owner"] = str(engineer2.pk)
    assert client.post(url("edit", draft), data).status_code == 302
    assert Notification.objects.get(recipient=engineer2).subject.startswith(
        f"[P2] Post-mortem of {draft.incident.reference} is yours"
    )


def test_one_line_markdown_is_rendered_safely():
    from postmortems.templatetags.postmortem_tags import inline_markdown

    typed = "**MTTA**: <b>x</b> see [dash](https://g.example.com/d?a=1&b=2) or https://x.example.com."
    assert inline_markdown(typed) == (
        '<strong>MTTA</strong>: &lt;b&gt;x&lt;/b&gt; see '
        '<a href="https://g.example.com/d?a=1&amp;b=2" rel="noopener noreferrer nofollow">dash</a> or '
        '<a href="https://x.example.com" rel="noopener noreferrer nofollow">https://x.example.com</a>.'
    )
    assert inline_markdown("[x](javascript:alert(1))") == "[x](javascript:alert(1))"


def test_list_counts_open_action_items(client, draft, engineer):
    ActionItemFactory(postmortem=draft, owner=engineer)
    ActionItemFactory(postmortem=draft, owner=engineer, status=ActionItemStatus.DONE, completed_at=timezone.now())
    client.force_login(engineer)
    assert "1 open of 2" in client.get(reverse("postmortems:list")).content.decode()
