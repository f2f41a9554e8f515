import pytest
from django.contrib.auth import get_user_model

from incidents.selectors import incident_list, incidents_visible_to
from incidents.services import service_update
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_each_team_sees_only_its_own_incidents(incident, other_service, engineer, outsider):
    theirs = IncidentFactory(service=other_service)
    assert list(incidents_visible_to(engineer)) == [incident]
    assert list(incidents_visible_to(outsider)) == [theirs]


def test_superuser_sees_everything(incident, other_service):
    theirs = IncidentFactory(service=other_service)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    assert set(incidents_visible_to(admin)) == {incident, theirs}


def test_moving_a_service_to_another_team_moves_access(incident, service, other_team, engineer, outsider):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    service_update(user=admin, service=service, team=other_team)
    assert not incidents_visible_to(engineer).exists()
    assert list(incidents_visible_to(outsider)) == [incident]


def test_list_scopes(incident, service, engineer, engineer2):
    from incidents.services import incident_acknowledge, incident_resolve

    mine = IncidentFactory(service=service)
    incident_acknowledge(incident=mine, user=engineer)
    done = IncidentFactory(service=service)
    incident_resolve(incident=done, user=engineer2)
    assert set(incident_list(engineer, scope="mine")) == {mine}
    assert set(incident_list(engineer, scope="open")) == {incident, mine}
    assert set(incident_list(engineer, scope="teams")) == {incident, mine, done}
    assert set(incident_list(engineer, scope="teams", state="resolved")) == {done}


def test_visibility_is_exactly_guardians_answer(service, other_service, team, other_team, engineer, stakeholder,
                                                outsider):
    """incidents_visible_to filters with its own subqueries over the permission tables; it must answer what
    django-guardian answers, grant by grant: team groups, personal grants (an SME from another team), a
    personal change-only grant (not a view grant), and nothing for someone without any."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, get_objects_for_user

    from incidents.models import Incident
    from incidents.services import incident_assign_role
    from tests.factories import UserFactory

    ours = [IncidentFactory(service=service) for _ in range(3)]
    theirs = [IncidentFactory(service=other_service) for _ in range(3)]
    incident_assign_role(incident=theirs[0], role="sme", assignee=engineer, user=outsider)
    assign_perm("incidents.change_incident", stakeholder, theirs[1])  # change without view: not visible
    assign_perm("incidents.view_incident", outsider, ours[2])
    loner = UserFactory(username="loner")
    assign_perm("incidents.view_incident", loner, ours[0])
    nobody = UserFactory(username="nobody")
    grouped = UserFactory(username="grouped")  # in a group holding a grant, but in no team
    extra = Group.objects.create(name="auditors")
    grouped.groups.add(extra)
    assign_perm("incidents.view_incident", extra, theirs[2])

    for user in (engineer, stakeholder, outsider, loner, nobody, grouped):
        expected = set(get_objects_for_user(user, "incidents.view_incident", Incident, accept_global_perms=False))
        assert set(incidents_visible_to(user)) == expected, user.username
    assert set(incidents_visible_to(engineer)) == {*ours, theirs[0]}
    assert set(incidents_visible_to(grouped)) == {theirs[2]}
    assert not incidents_visible_to(nobody).exists()
