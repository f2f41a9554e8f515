import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError, ConflictError
from incidents.models import IncidentState, TimelineEntry, TimelineKind
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_change_severity,
    incident_close,
    incident_identify,
    incident_investigate,
    incident_mitigate,
    incident_reopen,
    incident_resolve,
)
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def walk_to(incident, user, *actions):
    for action in actions:
        incident = {
            "acknowledge": incident_acknowledge,
            "investigate": incident_investigate,
            "identify": incident_identify,
            "mitigate": incident_mitigate,
            "resolve": incident_resolve,
        }[action](incident=incident, user=user)
    return incident


def test_full_lifecycle_stamps_every_step_and_writes_the_timeline(service, engineer, manager):
    # P3: a P1/P2 closes only once its post-mortem is published (tests/postmortems/test_close_guard.py).
    incident = IncidentFactory(service=service, severity="P3")
    incident = walk_to(incident, engineer, "acknowledge", "investigate", "identify", "mitigate", "resolve")
    incident = incident_close(incident=incident, user=manager, resolution_summary="Rolled back deploy 42.")

    assert incident.state == IncidentState.CLOSED
    for field in ("acknowledged_at", "investigating_at", "identified_at", "resolving_at", "resolved_at", "closed_at"):
        assert getattr(incident, field) is not None, field
    assert incident.acknowledged_by == engineer
    transitions = list(
        TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).values_list(
            "from_state", "to_state"
        )
    )
    assert transitions == [
        ("detected", "acknowledged"),
        ("acknowledged", "investigating"),
        ("investigating", "identified"),
        ("identified", "resolving"),
        ("resolving", "resolved"),
        ("resolved", "closed"),
    ]


def test_second_acknowledger_gets_conflict_naming_the_winner(incident, engineer, engineer2):
    incident_acknowledge(incident=incident, user=engineer)
    with pytest.raises(ConflictError, match="already acknowledged by Erin Engineer"):
        incident_acknowledge(incident=incident, user=engineer2)


def test_resolve_is_allowed_from_any_open_state(service, engineer):
    incident = IncidentFactory(service=service, severity="P3")
    incident = incident_resolve(incident=incident, user=engineer)
    assert incident.state == IncidentState.RESOLVED
    assert incident.next_update_due_at is None


def test_cannot_skip_states(incident, engineer):
    with pytest.raises(ConflictError):
        incident_identify(incident=incident, user=engineer)


def test_close_needs_a_resolution_summary(service, engineer, manager):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    with pytest.raises(ApplicationError, match="resolution summary"):
        incident_close(incident=incident, user=manager)


def test_only_commander_or_manager_may_close(service, engineer, engineer2, manager):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    with pytest.raises(PermissionDenied):
        incident_close(incident=incident, user=engineer, resolution_summary="fixed")
    incident_assign_role(incident=incident, role="commander", assignee=engineer2, user=engineer)
    closed = incident_close(incident=incident, user=engineer2, resolution_summary="fixed")
    assert closed.state == IncidentState.CLOSED


def test_p1_needs_commander_to_move_past_investigating(service, engineer):
    incident = IncidentFactory(service=service, severity="P1")
    incident = walk_to(incident, engineer, "acknowledge", "investigate")
    with pytest.raises(ApplicationError, match="Incident Commander"):
        incident_identify(incident=incident, user=engineer)
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    assert incident_identify(incident=incident, user=engineer).state == IncidentState.IDENTIFIED


def test_reopen_returns_to_investigating_and_restarts_update_clock(incident, engineer):
    incident = incident_resolve(incident=incident, user=engineer)
    incident = incident_reopen(incident=incident, user=engineer, note="errors are back")
    assert incident.state == IncidentState.INVESTIGATING
    assert incident.resolved_at is None
    assert incident.next_update_due_at is not None
    entry = TimelineEntry.objects.filter(incident=incident).last()
    assert (entry.from_state, entry.to_state, entry.note) == ("resolved", "investigating", "errors are back")


def test_outsider_and_stakeholder_cannot_act(incident, outsider, stakeholder):
    for user in (outsider, stakeholder):
        with pytest.raises(PermissionDenied):
            incident_acknowledge(incident=incident, user=user)
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED


def test_severity_change_recomputes_deadline_and_is_on_the_timeline(incident, engineer):
    assert incident.ack_deadline == incident.detected_at + dt.timedelta(minutes=15)
    incident = incident_change_severity(incident=incident, user=engineer, severity="P1", note="all regions")
    assert incident.ack_deadline == incident.detected_at + dt.timedelta(minutes=5)
    entry = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.SEVERITY).get()
    assert entry.data == {"from": "P2", "to": "P1"}


def test_severity_cannot_change_once_resolved(incident, engineer):
    incident = incident_resolve(incident=incident, user=engineer)
    with pytest.raises(ConflictError):
        incident_change_severity(incident=incident, user=engineer, severity="P1")
