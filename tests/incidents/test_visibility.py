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
