"""A P1/P2 incident that resolves gets its post-mortem draft: prefilled, owned, its owner told."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from incidents.models import TimelineEntry
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_identify,
    incident_investigate,
    incident_reopen,
    incident_resolve,
    status_update_post,
)
from oncall.models import Notification
from postmortems.models import PostMortem, PostMortemEvent, PostMortemState, PostMortemTimelineEntry
from postmortems.services import postmortem_create, postmortems_draft_missing
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 4, 14, 30, tzinfo=dt.UTC)


def resolve_with_signal(django_capture_on_commit_callbacks, incident, user, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return incident_resolve(incident=incident, user=user, **kwargs)


def test_resolving_a_p2_drafts_its_postmortem_owned_by_the_commander(
    django_capture_on_commit_callbacks, service, engineer, engineer2
):
    with time_machine.travel(T0, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="P2", title="Checkout returns 503")
        incident_assign_role(incident=incident, role="commander", assignee=engineer2, user=engineer)
        clock.shift(dt.timedelta(minutes=2))
        incident = incident_acknowledge(incident=incident, user=engineer)
        status_update_post(incident=incident, user=engineer, body="Investigating 503s on checkout.\nMore soon.")
        clock.shift(dt.timedelta(minutes=20))
        resolve_with_signal(django_capture_on_commit_callbacks, incident, engineer)

    postmortem = PostMortem.objects.get(incident=incident)
    assert postmortem.state == PostMortemState.DRAFT
    assert postmortem.auto_drafted
    assert postmortem.owner == engineer2  # the active Incident Commander, not the resolver
    assert postmortem.title == "Checkout returns 503"
    assert postmortem.services_affected == "Checkout API"
    assert postmortem.review_due_at == T0 + dt.timedelta(minutes=22, hours=48)

    copied = list(PostMortemTimelineEntry.objects.filter(postmortem=postmortem).order_by("at", "id"))
    assert len(copied) == TimelineEntry.objects.filter(incident=incident).count() == 5
    texts = [entry.text for entry in copied]
    assert texts[0].startswith("Declared as P2")
    assert "Eli Engineer is Incident Commander." in texts
    assert "Acknowledged (Erin Engineer)" in texts
    assert "Internal status update posted (Erin Engineer): Investigating 503s on checkout." in texts
    assert texts[-1] == "Resolved (Erin Engineer)"
    assert [e.is_key_event for e in copied] == [True, False, True, False, True]

    event = PostMortemEvent.objects.get(postmortem=postmortem)
    assert (event.actor, event.from_state, event.to_state) == (None, "", "draft")
    assert f"when {incident.reference} was resolved" in event.note

    notification = Notification.objects.get(recipient=engineer2)
    assert notification.subject == f"[P2] Post-mortem of {incident.reference} is yours: Checkout returns 503"
    assert notification.link.endswith(f"/postmortems/{postmortem.pk}/")
    assert "Review due: 2026-03-06 14:52 UTC" in notification.body


def test_without_a_commander_the_resolver_owns_it(django_capture_on_commit_callbacks, service, engineer):
    incident = IncidentFactory(service=service, severity="P1")
    incident = incident_investigate(incident=incident_acknowledge(incident=incident, user=engineer), user=engineer)
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    incident = incident_identify(incident=incident, user=engineer)
    resolve_with_signal(django_capture_on_commit_callbacks, incident, engineer)
    assert PostMortem.objects.get(incident=incident).owner == engineer

    other = IncidentFactory(service=service, severity="P2")
    resolve_with_signal(django_capture_on_commit_callbacks, other, engineer)
    assert PostMortem.objects.get(incident=other).owner == engineer


@pytest.mark.parametrize("severity", ["P3", "P4"])
def test_p3_and_p4_get_no_automatic_draft(django_capture_on_commit_callbacks, service, engineer, severity):
    incident = IncidentFactory(service=service, severity=severity)
    resolve_with_signal(django_capture_on_commit_callbacks, incident, engineer)
    assert not PostMortem.objects.filter(incident=incident).exists()
    assert not Notification.objects.exists()


def test_resolving_again_after_a_reopen_keeps_the_one_postmortem(django_capture_on_commit_callbacks, service,
                                                                  engineer):
    incident = IncidentFactory(service=service, severity="P2")
    incident = resolve_with_signal(django_capture_on_commit_callbacks, incident, engineer)
    first = PostMortem.objects.get(incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_reopen(incident=incident, user=engineer)
    resolve_with_signal(django_capture_on_commit_callbacks, incident, engineer)

    assert list(PostMortem.objects.filter(incident=incident)) == [first]
    assert PostMortemEvent.objects.filter(postmortem=first).count() == 1
    assert Notification.objects.filter(recipient=engineer).count() == 1


def test_creating_twice_returns_the_same_draft(resolved, engineer):
    first, created = postmortem_create(incident=resolved, automatic=True, resolver=engineer)
    second, created_again = postmortem_create(incident=resolved.pk, automatic=True)
    assert (created, created_again) == (True, False)
    assert first == second


def test_a_failing_draft_does_not_break_the_resolve_and_the_sweep_catches_up(
    django_capture_on_commit_callbacks, service, engineer, monkeypatch
):
    from postmortems.services import drafts

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(drafts, "_import_timeline", broken)
    incident = IncidentFactory(service=service, severity="P1")
    incident_assign_role(incident=incident, role="commander", assignee=engineer, user=engineer)
    resolved = resolve_with_signal(django_capture_on_commit_callbacks, incident, engineer)
    assert resolved.state == "resolved"
    assert not PostMortem.objects.filter(incident=incident).exists()

    monkeypatch.undo()
    assert postmortems_draft_missing() == 1
    postmortem = PostMortem.objects.get(incident=incident)
    assert postmortem.owner == engineer  # the commander
    assert postmortems_draft_missing() == 0


def test_responders_start_a_p3_postmortem_by_hand(service, engineer, stakeholder, outsider):
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="P3"), user=engineer)
    with pytest.raises(PermissionDenied):
        postmortem_create(incident=incident, user=stakeholder)
    with pytest.raises(PermissionDenied):
        postmortem_create(incident=incident, user=outsider)

    postmortem, created = postmortem_create(incident=incident, user=engineer)

    assert created and postmortem.owner == engineer and not postmortem.auto_drafted
    assert PostMortemEvent.objects.get(postmortem=postmortem).note.startswith("Drafted by Erin Engineer")


def test_a_postmortem_waits_for_the_incident_to_resolve(incident, engineer):
    with pytest.raises(ApplicationError, match="once the incident is resolved"):
        postmortem_create(incident=incident, user=engineer)
