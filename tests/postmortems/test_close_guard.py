"""A P1/P2 incident closes only once its post-mortem is published (incidents.close_checks)."""

import pytest

from config.errors import ApplicationError
from incidents.models import IncidentState
from incidents.services import incident_close, incident_resolve
from postmortems.services import postmortem_reopen
from tests.factories import IncidentFactory
from tests.factories.postmortems import draft_for, published

pytestmark = pytest.mark.django_db


def test_a_p2_without_a_postmortem_cannot_close(resolved, manager):
    with pytest.raises(ApplicationError, match=f"and {resolved.reference} has none yet"):
        incident_close(incident=resolved, user=manager, resolution_summary="Rolled back.")
    resolved.refresh_from_db()
    assert resolved.state == IncidentState.RESOLVED


def test_a_draft_postmortem_still_blocks_the_close(draft, manager):
    with pytest.raises(ApplicationError) as refused:
        incident_close(incident=draft.incident, user=manager, resolution_summary="Rolled back.")
    assert refused.value.message == (
        f"A P2 incident closes only once its post-mortem is published; "
        f"the post-mortem of {draft.incident.reference} is draft."
    )


def test_a_published_postmortem_lets_it_close(draft, engineer, manager):
    published(draft, user=engineer)
    closed = incident_close(incident=draft.incident, user=manager, resolution_summary="Rolled back.")
    assert closed.state == IncidentState.CLOSED


def test_reopening_the_postmortem_blocks_the_close_again(draft, engineer, manager):
    published(draft, user=engineer)
    postmortem_reopen(postmortem=draft, user=manager, note="Missing the DNS factor.")
    with pytest.raises(ApplicationError, match="is draft"):
        incident_close(incident=draft.incident, user=manager, resolution_summary="Rolled back.")


@pytest.mark.parametrize("severity", ["P3", "P4"])
def test_p3_and_p4_close_without_a_postmortem(service, engineer, manager, severity):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity=severity), user=engineer)
    assert incident_close(incident=incident, user=manager, resolution_summary="Fixed.").state == "closed"


def test_a_p3_with_a_draft_postmortem_still_closes(service, engineer, manager):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    draft_for(incident, resolver=engineer)
    assert incident_close(incident=incident, user=manager, resolution_summary="Fixed.").state == "closed"
