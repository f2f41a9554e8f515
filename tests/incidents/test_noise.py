"""Noise review: responders mark an incident actionable, noisy or a false alarm with a short reason — one click
on the incident page, or the API — and an integration's alert stream likewise. Timeline entries; the false-alarm
verdict and the metrics' false_alarm flag always agree; other teams get 404, stakeholders 403."""

import pytest
from django.urls import reverse

from config.errors import ApplicationError
from incidents.ingestion.services import integration_create
from incidents.models import IntegrationVerdict, TimelineEntry, TimelineKind
from incidents.services import incident_resolve, incident_update
from incidents.services.noise import incident_set_verdict, integration_set_verdict

pytestmark = pytest.mark.django_db


def test_a_verdict_is_recorded_with_its_reason_and_a_timeline_entry(incident, engineer):
    incident = incident_set_verdict(incident=incident, user=engineer, verdict="noisy", reason="Flaps every deploy")
    assert (incident.noise_verdict, incident.noise_reason, incident.false_alarm) == ("noisy", "Flaps every deploy",
                                                                                     False)
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.NOISE_VERDICT)
    assert entry.actor == engineer and "noisy: Flaps every deploy" in entry.note
    assert entry.data == {"verdict": "noisy", "reason": "Flaps every deploy", "previous": ""}


def test_the_false_alarm_verdict_and_the_false_alarm_flag_agree_both_ways(incident, engineer):
    incident = incident_set_verdict(incident=incident, user=engineer, verdict="false_alarm")
    assert incident.false_alarm
    incident = incident_set_verdict(incident=incident, user=engineer, verdict="actionable")
    assert not incident.false_alarm
    # Resolving as a false alarm (the existing way) gives the verdict too; unticking it clears it.
    incident = incident_resolve(incident=incident, user=engineer, false_alarm=True)
    incident.refresh_from_db()
    assert incident.noise_verdict == "false_alarm"
    incident_update(incident=incident, user=engineer, false_alarm=False)
    incident.refresh_from_db()
    assert incident.noise_verdict == "" and not incident.false_alarm


def test_the_same_verdict_twice_writes_one_entry(incident, engineer):
    incident_set_verdict(incident=incident, user=engineer, verdict="noisy", reason="x")
    incident_set_verdict(incident=incident, user=engineer, verdict="noisy", reason="x")
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.NOISE_VERDICT).count() == 1


@pytest.mark.parametrize("verdict, reason, field", [("meh", "", "verdict"), ("noisy", "x" * 281, "reason")])
def test_bad_verdicts_are_refused(incident, engineer, verdict, reason, field):
    with pytest.raises(ApplicationError) as caught:
        incident_set_verdict(incident=incident, user=engineer, verdict=verdict, reason=reason)
    assert caught.value.field == field


# --- the incident page: one click --------------------------------------------------------------------------


def test_one_click_on_the_incident_page(client, incident, engineer):
    client.force_login(engineer)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'id="noise"' in page and 'value="false_alarm"' in page
    response = client.post(reverse("incidents:verdict", args=[incident.pk]),
                           {"verdict": "false_alarm", "reason": "Synthetic check misfired"})
    assert response.status_code == 302 and response["Location"].endswith("#noise")
    incident.refresh_from_db()
    assert incident.false_alarm and incident.noise_reason == "Synthetic check misfired"
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Verdict: <strong>False alarm</strong>" in page


def test_a_bad_verdict_on_the_page_is_a_400_with_the_message(client, incident, engineer):
    client.force_login(engineer)
    response = client.post(reverse("incidents:verdict", args=[incident.pk]), {"verdict": "bogus"})
    assert response.status_code == 400 and "The verdict must be one of" in response.content.decode()


def test_stakeholders_see_the_verdict_but_cannot_give_one(client, incident, stakeholder):
    client.force_login(stakeholder)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'id="noise"' in page and 'value="false_alarm"' not in page
    assert client.post(reverse("incidents:verdict", args=[incident.pk]), {"verdict": "noisy"}).status_code == 403


def test_other_teams_get_404(client, incident, outsider):
    client.force_login(outsider)
    assert client.post(reverse("incidents:verdict", args=[incident.pk]), {"verdict": "noisy"}).status_code == 404
    incident.refresh_from_db()
    assert incident.noise_verdict == ""


# --- integrations' alert streams -----------------------------------------------------------------------------


@pytest.fixture
def integration(service):
    return integration_create(user=None, service=service, name="Prometheus", kind="alertmanager")[0]


def test_an_integrations_stream_gets_verdicts_the_latest_counts(integration, engineer):
    integration_set_verdict(integration=integration, user=engineer, verdict="actionable")
    integration_set_verdict(integration=integration, user=engineer, verdict="noisy", reason="Flapping disk alert")
    assert IntegrationVerdict.objects.filter(integration=integration).first().verdict == "noisy"


def test_the_integration_verdict_page_endpoint(client, integration, engineer, outsider):
    client.force_login(outsider)
    url = reverse("incidents:integration_verdict", args=[integration.pk])
    assert client.post(url, {"verdict": "noisy"}).status_code == 404
    client.force_login(engineer)
    response = client.post(url, {"verdict": "noisy", "next": "/postmortems/hygiene/"})
    assert response.status_code == 302 and response["Location"] == "/postmortems/hygiene/"
    evil = client.post(url, {"verdict": "noisy", "next": "https://evil.example.com/"})
    assert evil["Location"] == reverse("incidents:list")


def test_the_incident_page_offers_a_verdict_on_the_alert_streams_that_sent_it(client, service, engineer, integration):
    from incidents.models import Alert
    from tests.factories import IncidentFactory

    incident = IncidentFactory(service=service, dedup_key="cpu")
    Alert.objects.create(incident=incident, integration=integration, service=service, received_at=incident.detected_at,
                         last_received_at=incident.detected_at, dedup_key="cpu", action="firing")
    client.force_login(engineer)
    detail = reverse("incidents:detail", args=[incident.pk])
    assert f'data-alert-stream="{integration.pk}"' in client.get(detail).content.decode()
    response = client.post(reverse("incidents:integration_verdict", args=[integration.pk]),
                           {"verdict": "noisy", "next": f"{detail}#noise"})
    assert response["Location"] == f"{detail}#noise"
    assert "marked noisy" in client.get(detail).content.decode()


def test_a_nul_byte_in_the_reason_is_a_400_on_both_pages_not_a_500(client, incident, integration, engineer):
    # The pages pass the POST field straight to the service; PostgreSQL refuses NUL in text.
    client.force_login(engineer)
    response = client.post(reverse("incidents:verdict", args=[incident.pk]), {"verdict": "noisy", "reason": "a\x00b"})
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.noise_verdict == ""
    response = client.post(reverse("incidents:integration_verdict", args=[integration.pk]),
                           {"verdict": "noisy", "reason": "a\x00b", "next": "/postmortems/hygiene/"})
    assert response.status_code == 302
    assert not IntegrationVerdict.objects.filter(integration=integration).exists()


def test_stakeholders_get_403_for_a_stream_verdict_other_teams_404(client, integration, stakeholder, outsider):
    url = reverse("incidents:integration_verdict", args=[integration.pk])
    client.force_login(stakeholder)
    assert client.post(url, {"verdict": "noisy"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"verdict": "noisy"}).status_code == 404
    assert not IntegrationVerdict.objects.exists()
