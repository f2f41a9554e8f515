import pytest
from django.urls import reverse

from incidents.services import incident_resolve
from postmortems.services import postmortem_create
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def detail(client, incident):
    return client.get(reverse("incidents:detail", kwargs={"pk": incident.pk})).content.decode()


def test_resolved_incident_page_offers_to_start_a_postmortem(client, service, engineer):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    client.force_login(engineer)
    assert reverse("postmortems:for_incident", kwargs={"incident_pk": incident.pk}) in detail(client, incident)


def test_incident_page_links_its_postmortem(client, service, engineer):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    postmortem, _ = postmortem_create(incident=incident, user=engineer)
    client.force_login(engineer)
    page = detail(client, incident)
    assert reverse("postmortems:detail", kwargs={"pk": postmortem.pk}) in page
    assert "Post-mortem (draft)" in page


def test_open_incident_and_stakeholder_see_no_postmortem_link(client, service, engineer, stakeholder):
    incident = IncidentFactory(service=service, severity="P3")
    client.force_login(engineer)
    assert "Start a post-mortem" not in detail(client, incident)
    resolved = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    postmortem_create(incident=resolved, user=engineer)
    client.force_login(stakeholder)
    assert "Post-mortem (draft)" not in detail(client, resolved)
