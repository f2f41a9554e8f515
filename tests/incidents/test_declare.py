import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from config.errors import ApplicationError
from incidents.models import IncidentState, TimelineEntry, TimelineKind
from incidents.selectors import incidents_visible_to
from incidents.services import incident_declare, incident_resolve
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_engineer_declares_incident_with_deadline_war_room_and_timeline(service, engineer):
    detected = dt.datetime(2026, 1, 15, 14, 32, tzinfo=dt.UTC)
    incident, created = incident_declare(
        service=service, title="API Service Outage", severity="P1", user=engineer, detected_at=detected
    )
    assert created
    assert incident.state == IncidentState.DETECTED
    assert incident.ack_deadline == detected + dt.timedelta(minutes=5)
    assert incident.next_update_due_at == detected + dt.timedelta(minutes=30)
    assert incident.war_room == "#incident-2026-01-15-api-service-outage"
    entry = TimelineEntry.objects.get(incident=incident)
    assert entry.kind == TimelineKind.DECLARED and entry.actor == engineer


def test_team_members_see_new_incident_and_outsiders_do_not(service, engineer, stakeholder, outsider):
    incident, _ = incident_declare(service=service, title="x", severity="P3", user=engineer)
    assert incidents_visible_to(engineer).filter(pk=incident.pk).exists()
    assert incidents_visible_to(stakeholder).filter(pk=incident.pk).exists()
    assert not incidents_visible_to(outsider).filter(pk=incident.pk).exists()


def test_outsider_and_stakeholder_cannot_declare_on_the_service(service, outsider, stakeholder):
    for user in (outsider, stakeholder):
        with pytest.raises(PermissionDenied):
            incident_declare(service=service, title="x", severity="P3", user=user)


def test_same_dedup_key_folds_into_the_open_incident(service):
    first, created = incident_declare(service=service, title="db cpu", severity="P2", dedup_key="db-cpu")
    second, created_again = incident_declare(service=service, title="db cpu again", severity="P2", dedup_key="db-cpu")
    assert created and not created_again
    assert second.pk == first.pk
    assert TimelineEntry.objects.filter(incident=first, kind=TimelineKind.DEDUPLICATED).count() == 1


def test_dedup_key_is_free_again_once_resolved(service, engineer):
    first, _ = incident_declare(service=service, title="db cpu", severity="P2", dedup_key="db-cpu")
    incident_resolve(incident=first, user=engineer)
    second, created = incident_declare(service=service, title="db cpu", severity="P2", dedup_key="db-cpu")
    assert created and second.pk != first.pk


def test_same_dedup_key_on_another_service_is_another_incident(service):
    other = ServiceFactory(team=service.team)
    a, _ = incident_declare(service=service, title="x", dedup_key="k")
    b, created = incident_declare(service=other, title="x", dedup_key="k")
    assert created and a.pk != b.pk


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "title"),
        ({"severity": "P9"}, "Severity must be one of"),
        ({"impact_started_at": timezone.now() + dt.timedelta(hours=1)}, "Impact cannot start after"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(service, engineer, fields, message):
    kwargs = {"service": service, "title": "ok", "severity": "P3", "user": engineer, **fields}
    with pytest.raises(ApplicationError, match=message):
        incident_declare(**kwargs)
    assert not TimelineEntry.objects.exists()


def test_p3_deadline_counts_business_hours_of_the_team(team, engineer, service):
    # Payments works Mon–Fri 09:00–17:00 Europe/Berlin. Friday 16:00 local + 4 business hours
    # = Monday 12:00 local (11:00 UTC in winter).
    friday_4pm = dt.datetime(2026, 1, 16, 15, 0, tzinfo=dt.UTC)
    incident, _ = incident_declare(service=service, title="slow", severity="P3", user=engineer, detected_at=friday_4pm)
    assert incident.ack_deadline == dt.datetime(2026, 1, 19, 11, 0, tzinfo=dt.UTC)


def test_p4_deadline_is_one_business_day(service, engineer):
    saturday = dt.datetime(2026, 1, 17, 10, 0, tzinfo=dt.UTC)
    incident, _ = incident_declare(service=service, title="typo", severity="P4", user=engineer, detected_at=saturday)
    # the clock starts Monday 09:00 Berlin (08:00 UTC) and runs one working day
    assert incident.ack_deadline == dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC)
    assert incident.next_update_due_at is None  # P4 has no update cadence
