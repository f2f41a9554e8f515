"""/api/v1/postmortems/ and /api/v1/action-items/: the pages' permission rules (other teams 404, viewers and
stakeholders read published post-mortems only), the services' answers (409 on a state conflict, 400 with the
exact publish problems, 403), exactly the writable fields, and the Markdown export."""

import datetime as dt

import pytest
import yaml
from django.utils import timezone

from postmortems.guards import publish_problems
from postmortems.markdown_export import postmortem_markdown
from postmortems.models import (
    TEXT_SECTIONS,
    ActionItem,
    ActionItemStatus,
    ContributingFactor,
    PostMortem,
    PostMortemState,
    Why,
)
from postmortems.services import postmortem_submit
from tests.factories.api import api_client
from tests.factories.postmortems import (
    ActionItemFactory,
    FactorFactory,
    WhyFactory,
    complete,
    draft_for,
    published,
    resolved_incident,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/postmortems/"
ITEMS = "/api/v1/action-items/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def draft(service, engineer):
    """The automatic draft of a resolved P2 on Checkout API, owned by Erin (who resolved it)."""
    return draft_for(resolved_incident(service=service, user=engineer, title="Checkout returns 503"),
                     resolver=engineer)


@pytest.fixture
def done(service, manager):
    """A published post-mortem of an older Payments incident."""
    incident = resolved_incident(service=service, user=manager, title="Card payments failing")
    return published(draft_for(incident, resolver=manager), user=manager)


@pytest.fixture
def theirs(other_service, outsider):
    """Search's published post-mortem."""
    incident = resolved_incident(service=other_service, user=outsider, title="Search is slow")
    return published(draft_for(incident, resolver=outsider), user=outsider)


# --- reading ---------------------------------------------------------------------------------------------


def test_responders_list_their_teams_postmortems_newest_first(engineer, draft, done, theirs):
    assert ids(api_client(engineer).get(URL)) == [done.pk, draft.pk]


def test_stakeholders_list_published_postmortems_only(stakeholder, draft, done):
    assert ids(api_client(stakeholder).get(URL)) == [done.pk]


def test_owning_an_action_item_opens_another_teams_published_postmortem(outsider, done, draft):
    ActionItemFactory(postmortem=done, owner=outsider, title="Share the pool dashboard")
    ActionItemFactory(postmortem=draft, owner=outsider, title="Not yet published")

    assert ids(api_client(outsider).get(f"{URL}?team=payments")) == [done.pk]
    assert api_client(outsider).get(f"{URL}{draft.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=draft", ["draft"]),
        ("state=draft&state=published", ["done", "draft"]),
        ("state=in_review", []),
        ("team=payments", ["done", "draft"]),
        ("team=search", []),
        ("ordering=created_at", ["draft", "done"]),
    ],
)
def test_list_filters(engineer, draft, done, query, expected):
    fixtures = {"draft": draft, "done": done}
    assert ids(api_client(engineer).get(f"{URL}?{query}")) == [fixtures[name].pk for name in expected]


def test_the_incident_filter_finds_its_postmortem(engineer, draft, done):
    assert ids(api_client(engineer).get(URL, {"incident": draft.incident_id})) == [draft.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [("state=sleeping", "state"), ("incident=abc", "incident"), ("incident=0", "incident"),
     ("ordering=title", "ordering"), ("cursor=x", "cursor")],
)
def test_bad_filters_are_a_400_naming_the_parameter(engineer, draft, query, field):
    response = api_client(engineer).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_list_rows_count_open_action_items(engineer, draft):
    ActionItemFactory(postmortem=draft, owner=engineer)
    ActionItemFactory(postmortem=draft, owner=engineer, status=ActionItemStatus.WONT_DO, wont_do_reason="Moot")

    (row,) = api_client(engineer).get(URL).json()["results"]

    assert (row["action_items_open"], row["action_items_total"]) == (1, 2)
    assert (row["incident_reference"], row["team"], row["severity"]) == (draft.incident.reference, "payments", "P2")
    assert row["owner"]["username"] == "erin"


def test_the_detail_holds_every_section_row_and_insight(engineer, draft):
    complete(draft, owner=engineer)
    FactorFactory(postmortem=draft)

    body = api_client(engineer).get(f"{URL}{draft.pk}/").json()

    assert set(TEXT_SECTIONS) <= set(body)
    assert body["executive_summary"] == "Checkout failed for 20 minutes after deploy 42."
    assert [w["answer"] for w in body["whys"]] == ["The connection pool was exhausted."]
    assert [f["category"] for f in body["contributing_factors"]] == ["materials"]
    assert body["timeline"] and body["timeline"][0]["text"]
    assert [i["owner"]["username"] for i in body["action_items"]] == ["erin"]
    assert [i["key"] for i in body["key_insights"]] == [
        "detection_delay", "response_time", "investigation_time", "resolution_time", "recovery_time",
        "total_duration",
    ]
    assert [e["to_state"] for e in body["events"]] == ["draft"]
    assert body["actions"] == ["submit"] and body["can_edit"] is True
    assert body["publish_problems"] == []


def test_the_detail_lists_what_publishing_still_needs(engineer, draft):
    body = api_client(engineer).get(f"{URL}{draft.pk}/").json()

    assert body["publish_problems"] == publish_problems(draft)


def test_another_teams_postmortem_is_404(engineer, theirs):
    response = api_client(engineer).get(f"{URL}{theirs.pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such post-mortem.", "errors": {}}


def test_stakeholders_read_published_postmortems_but_not_drafts(stakeholder, draft, done):
    client = api_client(stakeholder)

    assert client.get(f"{URL}{draft.pk}/").status_code == 404
    body = client.get(f"{URL}{done.pk}/").json()
    assert body["state"] == "published"
    assert (body["actions"], body["can_edit"]) == ([], False)


# --- starting one ----------------------------------------------------------------------------------------


def test_responders_start_a_postmortem_for_a_resolved_incident_once(engineer, service):
    incident = resolved_incident(service=service, user=engineer, severity="P3")
    client = api_client(engineer)

    first = client.post(URL, {"incident": incident.pk}, format="json")
    again = client.post(URL, {"incident": incident.pk}, format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"] == PostMortem.objects.get(incident=incident).pk
    assert first.json()["state"] == "draft"


def test_an_unresolved_incident_gets_no_postmortem_yet(engineer, incident):
    response = api_client(engineer).post(URL, {"incident": incident.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "A post-mortem starts once the incident is resolved."


def test_stakeholders_may_not_start_one_nor_read_the_draft_that_exists(stakeholder, engineer, service, draft):
    incident = resolved_incident(service=service, user=engineer, severity="P3")
    client = api_client(stakeholder)

    assert client.post(URL, {"incident": incident.pk}, format="json").status_code == 403
    assert client.post(URL, {"incident": draft.incident_id}, format="json").status_code == 403
    assert not PostMortem.objects.filter(incident=incident).exists()


def test_another_teams_incident_does_not_exist_for_me(engineer, other_service, outsider):
    incident = resolved_incident(service=other_service, user=outsider, severity="P3")

    response = api_client(engineer).post(URL, {"incident": incident.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "incident"


# --- editing ---------------------------------------------------------------------------------------------


def test_patch_saves_sections_people_and_rows(engineer, engineer2, draft):
    why = WhyFactory(postmortem=draft, position=1)
    client = api_client(engineer)

    response = client.patch(f"{URL}{draft.pk}/", {
        "executive_summary": "Checkout failed for 20 minutes.",
        "users_affected": "~50,000 (100%)",
        "facilitator": "eli",
        "attendees": ["erin", "eli"],
        "whys": [{"id": why.pk, "delete": True},
                 {"question": "Why was the pool exhausted?", "answer": "Timeouts rose to 60s."}],
        "factors": [{"category": "methods", "description": "No review of config changes."}],
        "timeline": [{"at": "2026-03-04T12:00:00Z", "text": "Deploy 42 went out", "is_key_event": True}],
        "action_items": [{"title": "Alert on pool saturation", "owner": "eli", "horizon": "immediate"}],
    }, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["users_affected"] == "~50,000 (100%)"
    assert body["facilitator"]["username"] == "eli"
    assert sorted(a["username"] for a in body["attendees"]) == ["eli", "erin"]
    assert [(w["position"], w["question"]) for w in body["whys"]] == [(1, "Why was the pool exhausted?")]
    assert not Why.objects.filter(pk=why.pk).exists()
    assert ContributingFactor.objects.get(postmortem=draft).category == "methods"
    assert any(e["text"] == "Deploy 42 went out" and e["is_key_event"] for e in body["timeline"])
    (item,) = body["action_items"]
    assert item["due_date"] == (timezone.localdate() + dt.timedelta(days=7)).isoformat()  # proposed: immediate
    assert item["owner"]["username"] == "eli"


def test_patch_changes_only_the_rows_fields_it_names(engineer, draft):
    item = ActionItemFactory(postmortem=draft, owner=engineer, status=ActionItemStatus.IN_PROGRESS)

    response = api_client(engineer).patch(
        f"{URL}{draft.pk}/", {"action_items": [{"id": item.pk, "title": "Alert earlier"}]}, format="json"
    )

    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.title, item.status, item.owner) == ("Alert earlier", ActionItemStatus.IN_PROGRESS, engineer)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "published"}, "state"),
        ({"incident": 1}, "incident"),
        ({"title": ""}, "title"),
        ({"users_affected": "x" * 256}, "users_affected"),
        ({"owner": "otto"}, "owner"),  # not on the team: not someone the edit page offers
        ({"whys": [{"id": 1, "position": 1, "why": "typo"}]}, "whys"),
        ({"action_items": [{"title": "x", "status": "finished"}]}, "action_items"),
        ({"review_due_at": "tomorrow"}, "review_due_at"),
    ],
)
def test_patch_refuses_what_cannot_be_set_naming_the_field(engineer, outsider, draft, body, field):
    response = api_client(engineer).patch(f"{URL}{draft.pk}/", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_a_service_rule_is_a_400_naming_its_field(engineer, draft):
    response = api_client(engineer).patch(
        f"{URL}{draft.pk}/", {"action_items": [{"title": "Drop it", "status": "wont_do"}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "wont_do_reason"
    assert not ActionItem.objects.filter(postmortem=draft).exists()


def test_a_row_of_another_postmortem_is_a_conflict(engineer, draft, done):
    why = WhyFactory(postmortem=done, position=2)

    response = api_client(engineer).patch(
        f"{URL}{draft.pk}/", {"whys": [{"id": why.pk, "answer": "Hijacked"}]}, format="json"
    )

    assert response.status_code == 409
    why.refresh_from_db()
    assert why.answer != "Hijacked"


def test_a_published_postmortem_is_read_only(engineer, done):
    response = api_client(engineer).patch(f"{URL}{done.pk}/", {"root_cause": "Changed"}, format="json")

    assert response.status_code == 409
    assert "read-only" in response.json()["detail"]


def test_stakeholders_may_not_edit(stakeholder, done):
    assert api_client(stakeholder).patch(f"{URL}{done.pk}/", {"root_cause": "x"}, format="json").status_code == 403


# --- states ----------------------------------------------------------------------------------------------


def test_submit_then_submitting_again_is_a_conflict(engineer, draft):
    client = api_client(engineer)

    first = client.post(f"{URL}{draft.pk}/submit/", {"note": "Ready for review"}, format="json")
    again = client.post(f"{URL}{draft.pk}/submit/", {}, format="json")

    assert first.status_code == 200, first.content
    assert first.json()["state"] == "in_review"
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"Cannot submit for review: the post-mortem of {draft.incident.reference} is in review."
    )


def test_publishing_too_early_lists_exactly_what_is_missing(engineer, draft):
    postmortem_submit(postmortem=draft, user=engineer)
    WhyFactory(postmortem=draft)
    expected = publish_problems(draft)

    response = api_client(engineer).post(f"{URL}{draft.pk}/publish/", {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["extra"]["problems"] == expected == [
        "Write the executive summary.", "Write the root cause.",
        "Add at least one action item, with an owner and a due date.",
    ]
    assert body["detail"] == "Not ready to publish: " + " ".join(expected)
    draft.refresh_from_db()
    assert draft.state == PostMortemState.IN_REVIEW


def test_publish_and_reopen(engineer, manager, draft):
    complete(draft, owner=engineer)
    postmortem_submit(postmortem=draft, user=engineer)

    published_ = api_client(engineer).post(f"{URL}{draft.pk}/publish/", {}, format="json")
    by_engineer = api_client(engineer).post(f"{URL}{draft.pk}/reopen/", {"note": "Wrong root cause"}, format="json")
    no_reason = api_client(manager).post(f"{URL}{draft.pk}/reopen/", {}, format="json")
    reopened = api_client(manager).post(f"{URL}{draft.pk}/reopen/", {"note": "Wrong root cause"}, format="json")

    assert published_.status_code == 200 and published_.json()["state"] == "published"
    assert by_engineer.status_code == 403
    assert (no_reason.status_code, no_reason.json()["field"]) == (400, "note")
    assert reopened.status_code == 200 and reopened.json()["state"] == "draft"
    assert reopened.json()["events"][-1]["note"] == "Wrong root cause"


def test_stakeholders_cannot_act_on_a_draft_they_cannot_see(stakeholder, draft):
    assert api_client(stakeholder).post(f"{URL}{draft.pk}/submit/", {}, format="json").status_code == 404


# --- Markdown --------------------------------------------------------------------------------------------


def test_a_published_postmortem_exports_as_markdown(stakeholder, done):
    response = api_client(stakeholder).get(f"{URL}{done.pk}/markdown/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content.decode() == postmortem_markdown(done)
    assert response.content.decode().startswith("# Post-Incident Review: Card payments failing")


def test_a_draft_is_not_exported_yet(engineer, draft):
    response = api_client(engineer).get(f"{URL}{draft.pk}/markdown/")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Only published post-mortems are exported")


def test_the_export_answers_errors_in_json(engineer, done, theirs):
    client = api_client(engineer)

    wrong_accept = client.get(f"{URL}{done.pk}/markdown/", HTTP_ACCEPT="application/json")
    missing = client.get(f"{URL}{theirs.pk}/markdown/")
    anonymous = api_client().get(f"{URL}{done.pk}/markdown/")

    assert [r.status_code for r in (wrong_accept, missing, anonymous)] == [406, 404, 401]
    for response in (wrong_accept, missing, anonymous):
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]


# --- schema ----------------------------------------------------------------------------------------------


def test_the_schema_has_every_postmortem_operation(client):
    paths = yaml.safe_load(client.get("/api/v1/schema/").content)["paths"]

    assert set(paths[URL]) == {"get", "post"}
    assert set(paths[URL + "{id}/"]) == {"get", "patch"}
    for action in ("submit", "publish", "reopen"):
        assert set(paths[f"{URL}{{id}}/{action}/"]) == {"post"}
    markdown = paths[URL + "{id}/markdown/"]["get"]["responses"]
    assert set(markdown["200"]["content"]) == {"text/markdown"}
    assert {"401", "403", "404", "406", "409"} <= set(markdown)
    assert set(paths[ITEMS]) == {"get"}
    assert set(paths[ITEMS + "{id}/"]) == {"get", "patch"}
    assert set(paths[ITEMS + "{id}/reassign/"]) == {"post"}


def test_unknown_incident_ids_are_field_errors_not_server_errors(engineer):
    for value in (99999999999999999999999, 1.5, "1", None, -1):
        response = api_client(engineer).post(URL, {"incident": value}, format="json")
        assert response.status_code == 400, (value, response.content)

