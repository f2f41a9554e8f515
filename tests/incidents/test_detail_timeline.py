"""An alert storm folded into one incident writes a timeline entry per duplicate alert; the incident page lists
the latest few and says how many came before them, instead of thousands of identical lines."""

import pytest
from django.urls import reverse

from incidents.selectors import DUPLICATES_LISTED
from incidents.services import incident_declare

pytestmark = pytest.mark.django_db


def storm(service, engineer, alerts: int):
    incident, _ = incident_declare(service=service, title="Checkout 5xx", user=engineer, dedup_key="checkout-5xx")
    for n in range(alerts):
        incident_declare(service=service, title=f"Checkout 5xx #{n}", dedup_key="checkout-5xx")
    return incident


def timeline_of(client, incident) -> list:
    return client.get(reverse("incidents:detail", args=[incident.pk])).context["timeline"]


def test_a_storm_shows_the_latest_duplicates_and_how_many_came_before(client, engineer, service):
    incident = storm(service, engineer, 12)
    client.force_login(engineer)

    timeline = timeline_of(client, incident)

    duplicates = [e for e in timeline if e.kind == "deduplicated"]
    assert len(duplicates) == DUPLICATES_LISTED + 1
    summary, *latest = duplicates
    assert summary.pk is None
    assert f"{12 - DUPLICATES_LISTED} more alerts with the same dedup key" in summary.note
    assert [e.note.rsplit("#", 1)[1] for e in latest] == ["9", "10", "11"]
    assert timeline[0].kind == "declared"
    assert "9 more alerts with the same dedup key" in client.get(
        reverse("incidents:detail", args=[incident.pk])
    ).content.decode()


def test_a_few_duplicates_are_all_listed(client, engineer, service):
    incident = storm(service, engineer, DUPLICATES_LISTED)
    client.force_login(engineer)

    duplicates = [e for e in timeline_of(client, incident) if e.kind == "deduplicated"]

    assert len(duplicates) == DUPLICATES_LISTED
    assert all(e.pk is not None for e in duplicates)
