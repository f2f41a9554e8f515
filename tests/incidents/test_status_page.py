import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.services import incident_resolve, service_update, status_update_post
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db

STATUS = reverse("status:index")


def row_for(response, service):
    return next(row for row in response.context["rows"] if row["service"] == service)


def test_status_page_needs_no_login_and_says_all_is_well(client, service):
    response = client.get(STATUS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "All systems operational" in page
    assert "Checkout API" in page
    assert row_for(response, service)["status"] == "operational"


def test_each_service_shows_its_worst_open_severity(client, team, service, other_service):
    quiet = ServiceFactory(team=team, name="Ledger", slug="ledger")
    IncidentFactory(service=service, severity="P3")
    IncidentFactory(service=service, severity="P1")
    IncidentFactory(service=other_service, severity="P2")

    response = client.get(STATUS)

    assert row_for(response, service)["status"] == "outage"
    assert row_for(response, other_service)["status"] == "degraded"
    assert row_for(response, quiet)["status"] == "operational"
    assert response.context["overall"] == "outage"
    assert "Major outage in progress" in response.content.decode()


def test_internal_updates_and_descriptions_never_reach_the_public(client, service, engineer):
    open_incident = IncidentFactory(service=service, title="Checkout errors", description="SECRET-DESCRIPTION-1")
    status_update_post(incident=open_incident, user=engineer, body="SECRET-INTERNAL-1: db creds rotated")
    status_update_post(incident=open_incident, user=engineer, body="We are investigating errors.", audience="external")
    past = IncidentFactory(
        service=service, title="Slow search", description="SECRET-DESCRIPTION-2",
        detected_at=timezone.now() - dt.timedelta(days=3),
    )
    status_update_post(incident=past, user=engineer, body="SECRET-INTERNAL-2")
    status_update_post(incident=past, user=engineer, body="Search is fast again.", audience="external")
    incident_resolve(incident=past, user=engineer)

    page = client.get(STATUS).content.decode()

    assert "We are investigating errors." in page
    assert "Search is fast again." in page
    assert "Checkout errors" in page and "Slow search" in page
    for secret in ("SECRET-INTERNAL-1", "SECRET-INTERNAL-2", "SECRET-DESCRIPTION-1", "SECRET-DESCRIPTION-2"):
        assert secret not in page
    # Nothing that names the responders or the war room either.
    for internal in ("Erin", "erin", open_incident.war_room, past.war_room, "INC-"):
        assert internal not in page


def test_history_covers_90_days_and_skips_false_alarms(client, service, engineer):
    recent = IncidentFactory(service=service, title="Recent blip", detected_at=timezone.now() - dt.timedelta(days=10))
    incident_resolve(incident=recent, user=engineer)
    old = IncidentFactory(service=service, title="Ancient outage", detected_at=timezone.now() - dt.timedelta(days=120))
    incident_resolve(incident=old, user=engineer)
    noise = IncidentFactory(service=service, title="Nothing really", detected_at=timezone.now() - dt.timedelta(days=5))
    incident_resolve(incident=noise, user=engineer, false_alarm=True)

    response = client.get(STATUS)
    page = response.content.decode()

    assert "Recent blip" in page
    assert "Ancient outage" not in page
    assert "Nothing really" not in page
    days = row_for(response, service)["days"]
    assert len(days) == 90
    assert days[-1]["date"] == timezone.localdate()
    marked = [day["date"] for day in days if day["status"] != "operational"]
    assert timezone.localdate(recent.detected_at) in marked


def test_inactive_services_are_not_listed(client, service, manager):
    IncidentFactory(service=service, title="Hidden with its service")
    service_update(user=manager, service=service, is_active=False)

    page = client.get(STATUS).content.decode()

    assert "Checkout API" not in page
    assert "Hidden with its service" not in page
