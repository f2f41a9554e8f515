"""The guide's three communication templates, pre-filled from an incident."""

import datetime as dt

import pytest

from incidents import communications
from incidents.models import RoleAssignment
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_investigate,
    incident_resolve,
    incident_update,
)
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 1, 15, 14, 32, tzinfo=dt.UTC)


@pytest.fixture
def p1(service, engineer):
    incident = IncidentFactory(
        service=service, severity="P1", title="API Service Outage", detected_at=T0,
        description="All API requests failing with 503 errors\nmore detail",
    )
    incident_update(incident=incident, user=engineer, war_room="#incident-2025-01-15-api-outage")
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    incident.refresh_from_db()
    return incident


def assignments(incident):
    return list(RoleAssignment.objects.filter(incident=incident, relieved_at=None).select_related("user"))


def test_initial_notification_follows_the_guide(p1):
    text = communications.initial_notification(p1, now=T0 + dt.timedelta(minutes=3), commander="Erin Engineer")
    assert text.splitlines()[:8] == [
        "Subject: [P1] API Service Outage - Detected",
        "",
        "SEVERITY: Priority 1 (Critical)",
        "STATUS: Detected",
        "IMPACT: All API requests failing with 503 errors",
        "STARTED: 2025-01-15 14:32 UTC",
        "INCIDENT COMMANDER: Erin Engineer",
        "",
    ]
    assert "- War room established: #incident-2025-01-15-api-outage" in text
    assert "NEXT UPDATE: 15:02 UTC (in 27 minutes)" in text


def test_status_update_lists_the_steps_taken(p1, engineer):
    incident_acknowledge(incident=p1, user=engineer)
    p1 = incident_investigate(incident=p1, user=engineer)
    text = communications.status_update(p1, now=T0 + dt.timedelta(minutes=25), commander="Erin Engineer")
    assert "STATUS: Investigating" in text
    assert "DURATION: 25 minutes" in text
    assert "- Incident declared at 14:32 UTC" in text
    assert "- Acknowledged at" in text and "- Investigation started at" in text


def test_resolution_thanks_the_responders(p1, engineer):
    p1 = incident_resolve(incident=p1, user=engineer)
    p1.resolved_at = T0 + dt.timedelta(minutes=28)
    templates = communications.all_templates(p1, assignments=assignments(p1), now=T0 + dt.timedelta(hours=1))
    text = templates["resolution"]["internal"]
    assert "Subject: [P1] API Service Outage - RESOLVED" in text
    assert "SEVERITY: Priority 1 (Critical) → RESOLVED" in text
    assert "DURATION: 28 minutes (14:32 - 15:00 UTC)" in text
    assert "INCIDENT COMMANDER: Erin Engineer" in text
    assert text.endswith("Thank you to all responders: Erin Engineer")


def test_external_versions_name_only_the_service(p1):
    templates = communications.all_templates(p1, assignments=assignments(p1), now=T0 + dt.timedelta(minutes=3))
    externals = [templates[kind]["external"] for kind, _ in communications.KINDS]
    assert externals[0].startswith("[Investigating] - Jan 15, 14:35 UTC")
    assert externals[1].startswith("[Update] - ")
    assert externals[2].startswith("[Resolved] - ")
    for text in externals:
        assert "Checkout API" in text
        for internal in ("Erin", "#incident-", "503 errors", "COMMANDER", "P1"):
            assert internal not in text


def test_templates_have_placeholders_when_nothing_is_known(service):
    incident = IncidentFactory(service=service, severity="P4", detected_at=T0)
    text = communications.initial_notification(incident, now=T0)
    assert "INCIDENT COMMANDER: [not assigned]" in text
    assert "IMPACT: [user-facing impact" in text
    assert "NEXT UPDATE: Via regular channels" in text  # P4 has no update cadence
