import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from incidents.admin import IncidentAdmin
from incidents.models import Incident, IncidentState, Service, SeverityPolicy, TimelineEntry, TimelineKind
from incidents.selectors import incidents_visible_to
from incidents.services import incident_acknowledge, incident_investigate
from oncall.models import TeamRole
from oncall.services import team_member_set
from tests.factories import IncidentFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def transition_url(incident):
    return reverse("admin:incidents_incident_transition", args=[incident.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def other_incident(other_service):
    return IncidentFactory(service=other_service, title="Search results are empty")


# --- who sees what -----------------------------------------------------------------------------


def test_manager_sees_own_teams_incidents_but_not_other_teams(manager_client, incident, other_incident):
    response = manager_client.get(reverse("admin:incidents_incident_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [incident]
    assert incident.title in response.content.decode()
    assert other_incident.title not in response.content.decode()


def test_other_teams_incident_change_url_says_it_does_not_exist(manager_client, other_incident):
    response = manager_client.get(change_url(other_incident), follow=True)

    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert any("doesn’t exist" in m for m in messages_of(response))
    assert other_incident.title not in response.content.decode()


def test_other_teams_incident_cannot_be_moved_through_the_transition_url(manager_client, other_incident):
    response = manager_client.post(transition_url(other_incident), {"action": "acknowledge"})

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    other_incident.refresh_from_db()
    assert other_incident.state == IncidentState.DETECTED


def test_managers_get_no_delete_but_superusers_do(manager_client, admin_client, incident):
    delete_url = reverse("admin:incidents_incident_delete", args=[incident.pk])
    assert manager_client.get(delete_url).status_code == 403
    assert "delete_selected" not in manager_client.get(
        reverse("admin:incidents_incident_changelist")
    ).content.decode()

    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()


# --- lifecycle buttons -------------------------------------------------------------------------


def test_change_page_offers_only_the_actions_possible_now(manager_client, incident):
    page = manager_client.get(change_url(incident)).content.decode()

    assert 'value="acknowledge"' in page
    assert 'value="resolve"' in page
    assert 'value="close"' not in page
    assert 'value="reopen"' not in page


def test_transition_button_acknowledges_and_writes_the_timeline(manager_client, manager, incident):
    response = manager_client.post(transition_url(incident), {"action": "acknowledge", "note": "On it"}, follow=True)

    assert response.redirect_chain == [(change_url(incident), 302)]
    assert f"{incident.reference} is now acknowledged." in messages_of(response)
    incident.refresh_from_db()
    assert incident.state == IncidentState.ACKNOWLEDGED
    assert incident.acknowledged_by == manager
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.TRANSITION)
    assert (entry.actor, entry.from_state, entry.to_state, entry.note) == (manager, "detected", "acknowledged", "On it")
    assert 'value="investigate"' in response.content.decode()


def test_refused_transition_becomes_an_error_message(manager_client, engineer, incident):
    incident_acknowledge(incident=incident, user=engineer)

    response = manager_client.post(transition_url(incident), {"action": "acknowledge"}, follow=True)

    assert any("already acknowledged by Erin Engineer" in m for m in messages_of(response))
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).count() == 1


def test_p1_without_commander_offers_no_identify_and_explains_why(manager_client, engineer, service):
    incident = IncidentFactory(service=service, severity="P1")
    incident = incident_investigate(incident=incident_acknowledge(incident=incident, user=engineer), user=engineer)

    assert 'value="identify"' not in manager_client.get(change_url(incident)).content.decode()
    response = manager_client.post(transition_url(incident), {"action": "identify"}, follow=True)

    assert any("needs an Incident Commander" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING


def test_transition_url_refuses_get(manager_client, incident):
    assert manager_client.get(transition_url(incident)).status_code == 405


# --- the timeline and other records are read-only ----------------------------------------------


def test_timeline_inline_is_read_only_even_for_superusers(admin_client, admin_user, incident):
    page = admin_client.get(change_url(incident)).content.decode()
    assert "Declared as P2" in page
    assert 'name="timeline-0-note"' not in page
    assert 'name="timeline-0-DELETE"' not in page

    request = RequestFactory().get("/")
    request.user = admin_user
    inlines = IncidentAdmin(Incident, site).get_inline_instances(request, incident)
    assert inlines, "the superuser sees the inlines"
    for inline in inlines:
        assert not inline.has_add_permission(request, incident)
        assert not inline.has_change_permission(request, incident)
        assert not inline.has_delete_permission(request, incident)


def test_tampered_timeline_post_changes_nothing(admin_client, incident):
    data = form_data(admin_client.get(change_url(incident)).content, "incident_form")
    data.update({"timeline-0-note": "Nothing happened", "timeline-0-DELETE": "on", "timeline-0-kind": "note"})

    response = admin_client.post(change_url(incident), data)

    assert response.status_code == 302
    entry = TimelineEntry.objects.get(incident=incident)
    assert entry.kind == TimelineKind.DECLARED
    assert entry.note.startswith("Declared as P2")


def test_timeline_entries_have_no_admin_of_their_own():
    assert TimelineEntry not in site._registry


# --- edits and declarations go through the services --------------------------------------------


def test_editing_goes_through_incident_update_and_severity_through_its_service(manager_client, manager, incident):
    data = form_data(manager_client.get(change_url(incident)).content, "incident_form")
    data.update({"title": "Checkout returns 503 in the EU", "severity": "P1"})

    response = manager_client.post(change_url(incident), data)

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Checkout returns 503 in the EU", "P1")
    assert incident.ack_deadline == incident.detected_at + dt.timedelta(minutes=5)
    edit = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.EDIT)
    assert (edit.actor, edit.data) == (manager, {"fields": ["title"]})
    assert TimelineEntry.objects.get(incident=incident, kind=TimelineKind.SEVERITY).data == {"from": "P2", "to": "P1"}


def test_refused_edit_is_an_error_message_and_saves_nothing(manager_client, incident):
    data = form_data(manager_client.get(change_url(incident)).content, "incident_form")
    tomorrow = timezone.localtime(incident.detected_at + dt.timedelta(days=1))
    data.update({
        "title": "Renamed",
        "severity": "P1",
        "impact_started_at_0": tomorrow.strftime("%Y-%m-%d"),
        "impact_started_at_1": tomorrow.strftime("%H:%M:%S"),
    })

    response = manager_client.post(change_url(incident), data, follow=True)

    assert any("Impact cannot start after" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Checkout returns 503", "P2")
    assert not TimelineEntry.objects.filter(incident=incident).exclude(kind=TimelineKind.DECLARED).exists()


def test_adding_an_incident_declares_it(manager_client, manager, engineer, service):
    data = form_data(manager_client.get(reverse("admin:incidents_incident_add")).content, "incident_form")
    data.update({"service": str(service.pk), "title": "Refunds fail", "severity": "P3"})

    response = manager_client.post(reverse("admin:incidents_incident_add"), data)

    incident = Incident.objects.get(title="Refunds fail")
    assert response.status_code == 302
    assert incident.declared_by == manager
    assert incident.ack_deadline is not None
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.DECLARED).exists()
    assert incidents_visible_to(engineer).filter(pk=incident.pk).exists()


def test_manager_cannot_declare_on_another_teams_service(manager_client, other_service):
    add_url = reverse("admin:incidents_incident_add")
    data = form_data(manager_client.get(add_url).content, "incident_form")
    data.update({"service": str(other_service.pk), "title": "Not mine", "severity": "P3"})

    response = manager_client.post(add_url, data)

    assert response.status_code == 200
    assert "service" in response.context["adminform"].form.errors
    assert not Incident.objects.filter(title="Not mine").exists()


# --- services ----------------------------------------------------------------------------------


def test_service_added_in_admin_grants_its_team_access(manager_client, team, engineer):
    add_url = reverse("admin:incidents_service_add")
    data = form_data(manager_client.get(add_url).content, "service_form")
    data.update({"name": "Refunds", "slug": "refunds", "team": str(team.pk), "runbook": "Check the queue."})

    assert manager_client.post(add_url, data).status_code == 302

    service = Service.objects.get(slug="refunds")
    assert engineer.has_perm("incidents.declare_incident", service)
    incident = IncidentFactory(service=service)
    assert incidents_visible_to(engineer).filter(pk=incident.pk).exists()


def test_service_moved_between_managed_teams_moves_access(manager_client, manager, service, other_team, engineer,
                                                          outsider):
    team_member_set(team=other_team, user=manager, role=TeamRole.MANAGER)
    incident = IncidentFactory(service=service)
    change = reverse("admin:incidents_service_change", args=[service.pk])
    data = form_data(manager_client.get(change).content, "service_form")
    data["team"] = str(other_team.pk)

    assert manager_client.post(change, data).status_code == 302

    assert incidents_visible_to(outsider).filter(pk=incident.pk).exists()
    assert not incidents_visible_to(engineer).filter(pk=incident.pk).exists()


def test_manager_of_one_team_cannot_pick_another_team_for_a_service(manager_client, team, other_team):
    add_url = reverse("admin:incidents_service_add")
    page = manager_client.get(add_url)
    team_choices = [pk for pk, _ in page.context["adminform"].form.fields["team"].choices if pk]
    assert [str(pk) for pk in team_choices] == [str(team.pk)]

    data = form_data(page.content, "service_form")
    data.update({"name": "Sneaky", "slug": "sneaky", "team": str(other_team.pk)})
    response = manager_client.post(add_url, data)

    assert response.status_code == 200
    assert "team" in response.context["adminform"].form.errors
    assert not Service.objects.filter(slug="sneaky").exists()


def test_manager_sees_only_services_of_teams_they_manage(manager_client, service, other_service):
    page = manager_client.get(reverse("admin:incidents_service_changelist")).content.decode()
    assert service.name in page
    assert other_service.name not in page
    other_change = reverse("admin:incidents_service_change", args=[other_service.pk])
    assert manager_client.get(other_change).url == reverse("admin:index")


# --- severity policies -------------------------------------------------------------------------


def test_manager_tunes_severity_policies_but_cannot_add_or_delete_them(manager_client):
    policy = SeverityPolicy.objects.get(severity="P3")
    change = reverse("admin:incidents_severitypolicy_change", args=[policy.pk])
    data = form_data(manager_client.get(change).content, "severitypolicy_form")
    data.update({"description": "Partial degradation", "required_roles": ["commander"]})

    assert manager_client.post(change, data).status_code == 302

    policy.refresh_from_db()
    assert (policy.description, policy.required_roles) == ("Partial degradation", ["commander"])
    assert manager_client.get(reverse("admin:incidents_severitypolicy_add")).status_code == 403
    delete = reverse("admin:incidents_severitypolicy_delete", args=[policy.pk])
    assert manager_client.post(delete, {"post": "yes"}).status_code == 403
    assert SeverityPolicy.objects.count() == 4
