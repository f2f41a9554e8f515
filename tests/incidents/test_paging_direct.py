"""Direct paging: from an incident, page an extra person or the current on-call of another team's rotation."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from incidents.models import Page, PageKind, TimelineKind
from incidents.services import incident_resolve
from incidents.services.paging import incident_page_responder
from oncall.models import Notification, NotificationKind, Override, RotationKind, TeamRole
from tests.factories.oncall import PASSWORD, responder, rotation_with
from tests.incidents.paging_fixtures import *  # noqa: F403 (fixtures)
from tests.incidents.paging_fixtures import NOW, declare, timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_primary(other_team, now):
    """Search (America/New_York): Dana holds this week's primary, Dave the next."""
    people = [responder(other_team, TeamRole.ENGINEER, username=n, first_name=n.capitalize(), last_name="Search")
              for n in ("dana", "dave")]
    return rotation_with(other_team, people, kind=RotationKind.PRIMARY, name="Search primary",
                         start_date=dt.date(2026, 3, 2))


def test_paging_another_teams_rotation_pages_whoever_is_on_call_now(service, ladder, search_primary, now):
    incident = declare(service, "P1")
    page = incident_page_responder(incident=incident, user=ladder["pia"], target_rotation=search_primary,
                                   note="Search results are empty; need the index owner.")
    assert page.kind == PageKind.DIRECT and page.paged_by == ladder["pia"]
    assert page.recipients[0]["name"] == "Dana Search"
    (row,) = Notification.objects.filter(kind=NotificationKind.PAGE, recipient__username="dana")
    assert row.subject == f"[P1] {incident.reference} Checkout returns 503 — Pia Payments pages you"
    assert "Note: Search results are empty; need the index owner." in row.body
    assert timeline(incident, TimelineKind.PAGE)[-1] == (
        "Pia Payments paged Dana Search (on call in Search Search primary). Search results are empty; need the "
        "index owner."
    )
    dana = row.recipient
    assert dana.has_perm("incidents.view_incident", incident)  # the link works for them, as for an SME


def test_an_override_in_the_other_rotation_is_respected(service, ladder, search_primary, now):
    dave = search_primary.rotation_members.get(position=1).user
    Override.objects.create(rotation=search_primary, user=dave, start=NOW - dt.timedelta(hours=1),
                            end=NOW + dt.timedelta(hours=1))
    incident = declare(service, "P2")
    page = incident_page_responder(incident=incident, user=ladder["pia"], target_rotation=search_primary)
    assert page.recipients == [{"id": dave.pk, "name": "Dave Search"}]


def test_paging_a_person(service, ladder, now):
    incident = declare(service, "P2")
    page = incident_page_responder(incident=incident, user=ladder["pia"], target_user=ladder["lena"])
    assert page.target_label == "Lena Payments"
    assert Notification.objects.filter(recipient=ladder["lena"], kind=NotificationKind.PAGE).count() == 1


def test_paging_refuses_what_cannot_work(service, ladder, search_primary, stakeholder, now):
    incident = declare(service, "P2")
    with pytest.raises(ApplicationError, match="either a person or a rotation"):
        incident_page_responder(incident=incident, user=ladder["pia"])
    with pytest.raises(ApplicationError, match="either a person or a rotation"):
        incident_page_responder(incident=incident, user=ladder["pia"], target_user=ladder["lena"],
                                target_rotation=search_primary)
    with pytest.raises(PermissionDenied):
        incident_page_responder(incident=incident, user=stakeholder, target_user=ladder["lena"])
    search_primary.rotation_members.all().delete()
    with pytest.raises(ApplicationError, match="Nobody is on call in Search"):
        incident_page_responder(incident=incident, user=ladder["pia"], target_rotation=search_primary)
    incident_resolve(incident=incident, user=ladder["pia"])
    with pytest.raises(ApplicationError, match="is resolved"):
        incident_page_responder(incident=incident, user=ladder["pia"], target_user=ladder["lena"])
    assert not Page.objects.filter(kind=PageKind.DIRECT).exists()


def test_the_incident_page_pages_and_shows_the_pages(client, service, ladder, search_primary, now):
    incident = declare(service, "P1")
    client.login(username="pia", password=PASSWORD)
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Page a responder" in detail and "Search — Search primary (Primary)" in detail
    response = client.post(f"/incidents/{incident.pk}/page/", {"rotation": search_primary.pk, "note": "index"})
    assert response.status_code == 302 and response.url.endswith("#paging")
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Paged Dana Search." in detail  # the success message
    assert "Email to Dana Search: pending" in detail


def test_the_incident_page_shows_form_errors(client, service, ladder, now):
    incident = declare(service, "P1")
    client.login(username="pia", password=PASSWORD)
    response = client.post(f"/incidents/{incident.pk}/page/", {"username": "nobody-here"})
    assert response.status_code == 400
    assert "No active user is called “nobody-here”." in response.content.decode()
    response = client.post(f"/incidents/{incident.pk}/page/", {})
    assert "Choose a rotation or a person to page." in response.content.decode()


def test_the_admin_change_page_pages_a_responder(client, service, ladder, search_primary, now):
    incident = declare(service, "P1")
    client.login(username="mona", password=PASSWORD)
    change = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert 'id="incident_page_form"' in change
    response = client.post(f"/admin/incidents/incident/{incident.pk}/page/",
                           {"username": "lena", "note": "need the lead"})
    assert response.status_code == 302
    page = Page.objects.get(incident=incident, kind=PageKind.DIRECT)
    assert page.paged_by == ladder["mona"] and page.recipients[0]["name"] == "Lena Payments"
    change = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert "Lena Payments" in change and 'id="incident_deliveries"' in change
