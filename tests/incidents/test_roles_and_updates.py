import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from incidents.models import RoleAssignment, TimelineEntry, TimelineKind
from incidents.selectors import incident_detail, incidents_visible_to
from incidents.services import (
    incident_assign_role,
    incident_relieve_role,
    incident_resolve,
    status_update_post,
)
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_p1_shows_missing_required_roles(service, engineer):
    incident = IncidentFactory(service=service, severity="P1")
    missing = {role.value for role in incident_detail(incident)["missing_roles"]}
    assert missing == {"commander", "tech_lead", "scribe", "comms_lead"}
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    missing = {role.value for role in incident_detail(incident)["missing_roles"]}
    assert missing == {"tech_lead", "scribe", "comms_lead"}


def test_commander_hand_over_relieves_the_previous_holder(incident, engineer, engineer2):
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    incident_assign_role(incident=incident, role="commander", assignee=engineer2, user=engineer)
    active = RoleAssignment.objects.filter(incident=incident, role="commander", relieved_at__isnull=True)
    assert [a.user for a in active] == [engineer2]
    handover = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.ROLE_RELIEVED)
    assert "handed over from Erin Engineer to Eli Engineer" in handover.note


def test_several_smes_and_no_duplicates(incident, engineer, engineer2):
    incident_assign_role(incident=incident, role="sme", assignee=engineer, user=engineer)
    incident_assign_role(incident=incident, role="sme", assignee=engineer2, user=engineer)
    with pytest.raises(ApplicationError, match="already holds"):
        incident_assign_role(incident=incident, role="sme", assignee=engineer2, user=engineer)
    assert RoleAssignment.objects.filter(incident=incident, role="sme", relieved_at__isnull=True).count() == 2


def test_sme_from_another_team_gets_access_to_this_incident(incident, engineer, outsider):
    assert not incidents_visible_to(outsider).filter(pk=incident.pk).exists()
    incident_assign_role(incident=incident, role="sme", assignee=outsider, user=engineer)
    assert incidents_visible_to(outsider).filter(pk=incident.pk).exists()


def test_relieving_an_sme_is_on_the_timeline(incident, engineer, engineer2):
    assignment = incident_assign_role(incident=incident, role="sme", assignee=engineer2, user=engineer)
    incident_relieve_role(assignment=assignment, user=engineer)
    assignment.refresh_from_db()
    assert assignment.relieved_at is not None
    with pytest.raises(ApplicationError):
        incident_relieve_role(assignment=assignment, user=engineer)


def test_stakeholder_cannot_assign_roles(incident, stakeholder, engineer):
    with pytest.raises(PermissionDenied):
        incident_assign_role(incident=incident, role="commander", assignee=engineer, user=stakeholder)


def test_status_update_moves_the_next_due_time_by_the_cadence(incident, engineer):
    update = status_update_post(incident=incident, user=engineer, body="Investigating 503s", audience="external")
    incident.refresh_from_db()
    assert incident.next_update_due_at == update.posted_at + dt.timedelta(hours=1)  # P2: hourly
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.STATUS_UPDATE)
    assert entry.data["audience"] == "external"


def test_empty_status_update_is_refused(incident, engineer):
    with pytest.raises(ApplicationError, match="needs a text"):
        status_update_post(incident=incident, user=engineer, body="  ")


def test_no_update_due_after_resolution(incident, engineer):
    incident = incident_resolve(incident=incident, user=engineer)
    status_update_post(incident=incident, user=engineer, body="Resolved: rolled back")
    incident.refresh_from_db()
    assert incident.next_update_due_at is None
