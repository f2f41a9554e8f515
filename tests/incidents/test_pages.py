import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    Incident,
    IncidentState,
    RoleAssignment,
    StatusUpdate,
    TimelineEntry,
    TimelineKind,
    UpdateAudience,
)
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_declare,
    incident_resolve,
    status_update_post,
)
from oncall.models import TeamRole
from tests.factories import IncidentFactory, ServiceFactory, UserFactory, member

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")
DECLARE = reverse("incidents:declare")


def detail_url(incident) -> str:
    return reverse("incidents:detail", kwargs={"pk": incident.pk})


def transition_url(incident, action: str) -> str:
    return reverse("incidents:transition", kwargs={"pk": incident.pk, "action": action})


def post_urls(incident, assignment) -> dict[str, tuple[str, dict]]:
    """Every POST endpoint of the detail page, with data that would be valid for a responder."""
    pk = incident.pk
    return {
        "transition": (transition_url(incident, "acknowledge"), {}),
        "severity": (reverse("incidents:severity", kwargs={"pk": pk}), {"severity": "P1"}),
        "assign_role": (reverse("incidents:assign_role", kwargs={"pk": pk}), {"role": "scribe", "username": "eli"}),
        "relieve_role": (
            reverse("incidents:relieve_role", kwargs={"pk": pk, "assignment_pk": assignment.pk}),
            {},
        ),
        "post_update": (
            reverse("incidents:post_update", kwargs={"pk": pk}),
            {"audience": "internal", "body": "Looking into it."},
        ),
        "edit": (reverse("incidents:edit", kwargs={"pk": pk}), {"title": "Renamed", "war_room": "#x"}),
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# ---------------------------------------------------------------------------------------------
# Login


@pytest.mark.parametrize("name", ["incidents:list", "incidents:declare"])
def test_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_detail_needs_login(client, incident):
    response = client.get(detail_url(incident))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_signs_in_and_lands_on_the_incident_list(client, engineer):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post(reverse("login"), {"username": "erin", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response.url == LIST


def test_nav_shows_admin_only_to_staff_and_logs_out_with_a_post(client, engineer, manager):
    client.force_login(engineer)
    page = client.get(LIST).content.decode()
    assert 'action="/accounts/logout/"' in page and 'method="post"' in page
    assert reverse("admin:index") not in page
    client.force_login(manager)  # managers are staff
    assert reverse("admin:index") in client.get(LIST).content.decode()


# ---------------------------------------------------------------------------------------------
# Incident list


def test_list_shows_the_columns_an_engineer_needs(client, engineer, engineer2, service):
    incident = IncidentFactory(service=service, severity="P1", title="Payments down")
    incident_acknowledge(incident=incident, user=engineer2)
    client.force_login(engineer)

    response = client.get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    for text in (incident.reference, "Payments down", "Checkout API", "Acknowledged", "Eli Engineer", "sev-p1"):
        assert text in page


def test_list_scopes_mine_teams_and_all_open(client, engineer, service, other_service, outsider):
    mine, _ = incident_declare(service=service, title="Declared by me", user=engineer)
    team_incident = IncidentFactory(service=service, title="Team incident")
    elsewhere = IncidentFactory(service=other_service, title="Other team incident")
    # Holding a role gives access to another team's incident: it shows under "mine" and "all open".
    incident_assign_role(incident=elsewhere, role="sme", assignee=engineer, user=outsider)
    client.force_login(engineer)

    def titles(scope):
        return {i.title for i in client.get(LIST, {"scope": scope}).context["page"].object_list}

    assert titles("mine") == {mine.title, elsewhere.title}
    assert titles("teams") == {mine.title, team_incident.title}
    assert titles("open") == {mine.title, team_incident.title, elsewhere.title}
    assert titles("") == titles("teams")


def test_list_filters_by_state_severity_service_and_team(client, engineer, team, service):
    second_service = ServiceFactory(team=team, name="Ledger", slug="ledger")
    p1 = IncidentFactory(service=service, severity="P1", title="p1 checkout")
    p3 = IncidentFactory(service=second_service, severity="P3", title="p3 ledger")
    resolved = incident_resolve(incident=IncidentFactory(service=service, severity="P2", title="done"), user=engineer)
    client.force_login(engineer)

    def titles(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return {i.title for i in response.context["page"].object_list}

    assert titles(state="open") == {p1.title, p3.title}
    assert titles(state="resolved") == {resolved.title}
    assert titles(severity="P3") == {p3.title}
    assert titles(service="ledger") == {p3.title}
    assert titles(team="payments") == {p1.title, p3.title, resolved.title}
    assert titles(state="open", service="checkout-api") == {p1.title}
    # A bad value in one filter is ignored instead of failing the page.
    assert titles(state="nonsense", severity="P1") == {p1.title}


def test_list_marks_an_unacknowledged_incident_past_its_deadline(client, engineer, service):
    late = IncidentFactory(service=service, severity="P2", detected_at=timezone.now() - dt.timedelta(hours=1))
    acked = IncidentFactory(service=service, severity="P2", detected_at=timezone.now() - dt.timedelta(hours=1))
    incident_acknowledge(incident=acked, user=engineer)
    client.force_login(engineer)

    rows = client.get(LIST).content.decode().split("<tr>")[2:]

    row_of = {inc.reference: next(r for r in rows if f">{inc.reference}<" in r) for inc in (late, acked)}
    assert 'class="overdue"' in row_of[late.reference]
    assert 'class="overdue"' not in row_of[acked.reference]


def test_list_runs_the_same_number_of_queries_for_3_and_30_incidents(client, engineer, engineer2, service):
    def make(count):
        for n in range(count):
            incident = IncidentFactory(service=service, severity=["P1", "P2", "P3", "P4"][n % 4])
            if n % 2:
                incident_acknowledge(incident=incident, user=[engineer, engineer2][n % 3 % 2])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, {"scope": "teams"})
        assert response.status_code == 200
        return len(response.context["page"].object_list), len(captured)

    client.force_login(engineer)
    make(3)
    rows_few, few = queries()
    make(27)
    rows_many, many = queries()
    assert (rows_few, rows_many) == (3, 30)
    assert many == few


def test_list_pages_by_fifty(client, engineer, service):
    for _ in range(51):
        IncidentFactory(service=service)
    client.force_login(engineer)

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


# ---------------------------------------------------------------------------------------------
# Declare


def test_declare_offers_only_services_the_user_may_declare_on(client, engineer, service, other_service):
    client.force_login(engineer)
    response = client.get(DECLARE)
    assert response.status_code == 200
    choices = list(response.context["form"].fields["service"].queryset)
    assert choices == [service]
    page = response.content.decode()
    assert "Is the service completely down?" in page
    assert 'id="severity-tree-outcomes"' in page


def test_declare_creates_the_incident_and_its_timeline(client, engineer, service):
    client.force_login(engineer)

    response = client.post(
        DECLARE,
        {"service": service.pk, "title": "Checkout is slow", "description": "p99 at 8s", "severity": "P2"},
    )

    incident = Incident.objects.get(title="Checkout is slow")
    assert response.status_code == 302
    assert response.url == detail_url(incident)
    assert (incident.severity, incident.state, incident.declared_by) == ("P2", IncidentState.DETECTED, engineer)
    assert incident.war_room.startswith("#incident-")
    entry = TimelineEntry.objects.get(incident=incident)
    assert entry.kind == TimelineKind.DECLARED and entry.actor == engineer
    page = client.get(response.url).content.decode()
    assert f"Declared {incident.reference} as P2." in page


def test_declare_with_the_decision_tree_lets_the_server_set_the_severity(client, engineer, service):
    client.force_login(engineer)

    client.post(
        DECLARE,
        {
            "service": service.pk, "title": "Checkout broken for many", "severity": "P4", "use_tree": "on",
            "tree_service_down": "no", "tree_many_users_blocked": "yes",
        },
    )

    assert Incident.objects.get(title="Checkout broken for many").severity == "P2"


def test_declare_with_the_tree_asks_for_the_next_unanswered_question(client, engineer, service):
    client.force_login(engineer)

    response = client.post(
        DECLARE,
        {
            "service": service.pk, "title": "Half answered", "severity": "P3", "use_tree": "on",
            "tree_service_down": "no", "tree_many_users_blocked": "no",
        },
    )

    assert response.status_code == 400
    assert "tree_workaround_available" in response.context["form"].errors
    assert not Incident.objects.filter(title="Half answered").exists()


def test_declare_refuses_a_service_of_another_team(client, engineer, other_service):
    client.force_login(engineer)
    response = client.post(DECLARE, {"service": other_service.pk, "title": "Not mine", "severity": "P3"})
    assert response.status_code == 400
    assert "service" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_declare_shows_the_service_error_on_its_field(client, engineer, service):
    client.force_login(engineer)
    future = (timezone.now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")

    response = client.post(
        DECLARE, {"service": service.pk, "title": "Time travel", "severity": "P3", "impact_started_at": future}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["impact_started_at"] == [
        "Impact cannot start after the incident was detected."
    ]


def test_declare_with_a_known_dedup_key_joins_the_open_incident(client, engineer, service):
    existing = IncidentFactory(service=service, dedup_key="checkout-5xx")
    client.force_login(engineer)

    response = client.post(
        DECLARE, {"service": service.pk, "title": "Again", "severity": "P3", "dedup_key": "checkout-5xx"}, follow=True
    )

    assert response.redirect_chain[-1][0] == detail_url(existing)
    assert Incident.objects.count() == 1
    assert any("already open with that dedup key" in m for m in messages_of(response))


# ---------------------------------------------------------------------------------------------
# Detail: who sees what


@pytest.mark.parametrize("who", ["engineer", "manager", "stakeholder"])
def test_detail_renders_for_the_owning_team(client, request, incident, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(detail_url(incident))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (incident.reference, "Checkout returns 503", "Timeline", "Roles", "Runbook", "Check the dashboard"):
        assert text in page


def test_outsider_gets_404_on_the_detail_and_every_action(client, incident, outsider, engineer):
    assignment = incident_assign_role(incident=incident, role="scribe", assignee=engineer, user=engineer)
    client.force_login(outsider)

    assert client.get(detail_url(incident)).status_code == 404
    for name, (url, data) in post_urls(incident, assignment).items():
        assert client.post(url, data).status_code == 404, name
    assert client.get(reverse("incidents:detail", kwargs={"pk": 999999})).status_code == 404
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED


def test_stakeholder_sees_everything_but_no_action_forms(client, incident, stakeholder, engineer):
    status_update_post(incident=incident, user=engineer, body="Internal note for stakeholders")
    client.force_login(stakeholder)

    page = client.get(detail_url(incident)).content.decode()

    assert "Internal note for stakeholders" in page
    assert "<form" in page  # only the logout form
    assert page.count("<form") == 1
    for marker in ("/transition/", "/severity/", "/roles/", "/updates/", "/edit/", ">Acknowledge</button>"):
        assert marker not in page, marker


def test_stakeholder_gets_403_on_every_post(client, incident, stakeholder, engineer, engineer2):
    assignment = incident_assign_role(incident=incident, role="scribe", assignee=engineer, user=engineer)
    client.force_login(stakeholder)

    for name, (url, data) in post_urls(incident, assignment).items():
        assert client.post(url, data).status_code == 403, name
    incident.refresh_from_db()
    assert (incident.state, incident.severity, incident.title) == (IncidentState.DETECTED, "P2", "Checkout returns 503")


def test_action_urls_refuse_get(client, incident, engineer):
    client.force_login(engineer)
    assert client.get(transition_url(incident, "acknowledge")).status_code == 405


# ---------------------------------------------------------------------------------------------
# Detail: lifecycle


def test_transition_buttons_follow_the_state(client, incident, engineer):
    client.force_login(engineer)
    page = client.get(detail_url(incident)).content.decode()
    assert transition_url(incident, "acknowledge") in page
    assert transition_url(incident, "resolve") in page
    assert transition_url(incident, "investigate") not in page
    assert transition_url(incident, "close") not in page


def test_walking_the_lifecycle_through_the_page(client, service, engineer, manager):
    incident = IncidentFactory(service=service, severity="P3")
    client.force_login(engineer)
    for action, state in [
        ("acknowledge", "acknowledged"),
        ("investigate", "investigating"),
        ("identify", "identified"),
        ("mitigate", "resolving"),
        ("resolve", "resolved"),
    ]:
        response = client.post(transition_url(incident, action), {"note": f"{action} note"})
        assert response.status_code == 302, (action, response.content[:500])
        incident.refresh_from_db()
        assert incident.state == state
    # An engineer without the commander role may not close: no close form, and a 403 if forced.
    page = client.get(detail_url(incident)).content.decode()
    assert transition_url(incident, "close") not in page
    assert client.post(transition_url(incident, "close"), {"resolution_summary": "x"}).status_code == 403

    client.force_login(manager)
    assert transition_url(incident, "close") in client.get(detail_url(incident)).content.decode()
    response = client.post(
        transition_url(incident, "close"), {"resolution_summary": "Rolled back deploy 42."}, follow=True
    )
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED
    assert incident.resolution_summary == "Rolled back deploy 42."
    assert f"{incident.reference} is now closed." in messages_of(response)
    notes = list(
        TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).values_list("note", flat=True)
    )
    assert notes[:2] == ["acknowledge note", "investigate note"]


def test_second_acknowledge_shows_the_conflict_message(client, incident, engineer, engineer2):
    client.force_login(engineer)
    assert client.post(transition_url(incident, "acknowledge")).status_code == 302

    client.force_login(engineer2)
    response = client.post(transition_url(incident, "acknowledge"))

    assert response.status_code == 409
    assert any("already acknowledged by Erin Engineer" in m for m in messages_of(response))
    assert "already acknowledged by Erin Engineer" in response.content.decode()
    incident.refresh_from_db()
    assert incident.acknowledged_by == engineer


def test_close_without_a_summary_keeps_the_incident_resolved(client, service, engineer, manager):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    client.force_login(manager)

    response = client.post(transition_url(incident, "close"), {"resolution_summary": "   "})

    assert response.status_code == 400
    assert any("resolution summary" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED


def test_resolve_as_false_alarm(client, incident, engineer):
    client.force_login(engineer)
    client.post(transition_url(incident, "resolve"), {"false_alarm": "on"})
    incident.refresh_from_db()
    assert (incident.state, incident.false_alarm) == (IncidentState.RESOLVED, True)


def test_p1_without_commander_blocks_identify_and_says_why(client, service, engineer):
    incident = IncidentFactory(service=service, severity="P1")
    client.force_login(engineer)
    client.post(transition_url(incident, "acknowledge"))
    client.post(transition_url(incident, "investigate"))

    page = client.get(detail_url(incident)).content.decode()
    assert transition_url(incident, "identify") not in page  # shown greyed out, not as a submit button
    assert "Cause identified" in page
    assert "P1 needs:" in page and "Incident Commander" in page

    response = client.post(transition_url(incident, "identify"))
    assert response.status_code == 400
    assert any("needs an Incident Commander" in m for m in messages_of(response))


def test_unknown_action_is_an_error_message_not_a_crash(client, incident, engineer):
    client.force_login(engineer)
    response = client.post(transition_url(incident, "explode"))
    assert response.status_code == 400
    assert any("Unknown action" in m for m in messages_of(response))


# ---------------------------------------------------------------------------------------------
# Detail: severity, roles, updates, edits


def test_change_severity(client, incident, engineer):
    client.force_login(engineer)
    response = client.post(
        reverse("incidents:severity", kwargs={"pk": incident.pk}), {"severity": "P1", "note": "all regions"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "P1"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.SEVERITY, note="all regions").exists()


def test_severity_form_is_gone_once_resolved_and_a_forced_change_is_a_conflict(client, incident, engineer):
    incident_resolve(incident=incident, user=engineer)
    client.force_login(engineer)
    url = reverse("incidents:severity", kwargs={"pk": incident.pk})
    assert url not in client.get(detail_url(incident)).content.decode()
    response = client.post(url, {"severity": "P1"})
    assert response.status_code == 409
    assert any("reopen it first" in m for m in messages_of(response))


def test_missing_roles_for_the_severity_are_warnings(client, service, engineer):
    incident = IncidentFactory(service=service, severity="P1")
    client.force_login(engineer)
    page = client.get(detail_url(incident)).content.decode()
    for label in ("Incident Commander", "Technical Lead", "Scribe", "Communications Lead"):
        assert f"Missing: {label}" in page


def test_assign_roles_from_the_team_or_by_username_and_relieve(client, incident, engineer, engineer2, other_team):
    guest = member(other_team, TeamRole.ENGINEER, username="grace", first_name="Grace", last_name="Guest")
    client.force_login(engineer)
    url = reverse("incidents:assign_role", kwargs={"pk": incident.pk})

    assert client.post(url, {"role": "commander", "member": engineer2.pk}).status_code == 302
    assert client.post(url, {"role": "sme", "username": "GRACE"}).status_code == 302

    active = {(a.role, a.user.username) for a in RoleAssignment.objects.filter(incident=incident, relieved_at=None)}
    assert active == {("commander", "eli"), ("sme", "grace")}
    page = client.get(detail_url(incident)).content.decode()
    assert "Eli Engineer" in page and "Grace Guest" in page
    assert "Missing: Incident Commander" not in page
    # The guest from another team can now open the incident.
    client.force_login(guest)
    assert client.get(detail_url(incident)).status_code == 200

    client.force_login(engineer)
    sme = RoleAssignment.objects.get(incident=incident, role="sme")
    relieve = reverse("incidents:relieve_role", kwargs={"pk": incident.pk, "assignment_pk": sme.pk})
    assert client.post(relieve).status_code == 302
    sme.refresh_from_db()
    assert sme.relieved_at is not None
    response = client.post(relieve, follow=True)
    assert any("already ended" in m for m in messages_of(response))


def test_assign_role_errors_show_on_the_form(client, incident, engineer):
    inactive = UserFactory(username="gone", is_active=False)
    client.force_login(engineer)
    url = reverse("incidents:assign_role", kwargs={"pk": incident.pk})

    unknown = client.post(url, {"role": "scribe", "username": "nobody"})
    assert unknown.status_code == 400
    assert "No active user" in unknown.context["assign_form"].errors["username"][0]
    assert client.post(url, {"role": "scribe", "username": inactive.username}).status_code == 400

    client.post(url, {"role": "scribe", "member": engineer.pk})
    again = client.post(url, {"role": "scribe", "member": engineer.pk})
    assert again.status_code == 400
    assert "already holds that role" in again.context["assign_form"].errors["member"][0]


def test_post_internal_and_external_updates(client, incident, engineer):
    client.force_login(engineer)
    url = reverse("incidents:post_update", kwargs={"pk": incident.pk})

    assert client.post(url, {"audience": "internal", "body": "Rolling back."}).status_code == 302
    assert client.post(url, {"audience": "external", "body": "We are investigating."}).status_code == 302

    assert set(StatusUpdate.objects.values_list("audience", "body")) == {
        ("internal", "Rolling back."), ("external", "We are investigating.")
    }
    page = client.get(detail_url(incident)).content.decode()
    assert "Rolling back." in page and "We are investigating." in page
    empty = client.post(url, {"audience": "internal", "body": ""})
    assert empty.status_code == 400 and "body" in empty.context["update_form"].errors


def test_update_templates_prefill_the_form(client, incident, engineer):
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    client.force_login(engineer)

    response = client.get(detail_url(incident), {"compose": "initial"})
    body = response.context["update_form"].initial["body"]
    assert body.startswith("Subject: [P2] Checkout returns 503 - Detected")
    assert "SEVERITY: Priority 2 (High)" in body
    assert "INCIDENT COMMANDER: Erin Engineer" in body

    external = client.get(detail_url(incident), {"compose": "resolution", "audience": UpdateAudience.EXTERNAL})
    assert external.context["update_form"].initial["body"].startswith("[Resolved]")
    assert 'id="comm-templates"' in response.content.decode()


def test_runbook_is_rendered_from_markdown_without_html_or_script(client, team, engineer):
    service = ServiceFactory(
        team=team,
        runbook="## Steps\n1. Check **errors**\n2. <script>alert(1)</script>\n3. [bad](javascript:alert(2))",
        runbook_url="https://wiki.example.com/checkout",
    )
    incident = IncidentFactory(service=service)
    client.force_login(engineer)

    page = client.get(detail_url(incident)).content.decode()

    assert "<h2>Steps</h2>" in page and "<strong>errors</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:alert(2)" not in page
    assert 'href="https://wiki.example.com/checkout"' in page


def test_edit_the_war_room(client, incident, engineer):
    client.force_login(engineer)
    response = client.post(
        reverse("incidents:edit", kwargs={"pk": incident.pk}),
        {"title": incident.title, "war_room": "#incident-checkout", "description": ""},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.war_room == "#incident-checkout"
    entry = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.EDIT).get()
    assert entry.data == {"fields": ["war_room"]}


def test_edit_with_a_blank_title_is_a_form_error(client, incident, engineer):
    client.force_login(engineer)
    response = client.post(reverse("incidents:edit", kwargs={"pk": incident.pk}), {"title": ""})
    assert response.status_code == 400
    assert "title" in response.context["edit_form"].errors
