"""Noise review in a real browser: one click on the incident page records the verdict with its reason."""

import pytest
from playwright.sync_api import Page, expect

from incidents.models import TimelineEntry, TimelineKind
from tests.browser.test_incident_flow import log_in
from tests.factories import IncidentFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_one_click_marks_an_incident_a_false_alarm(page: Page, service, engineer):
    incident = IncidentFactory(service=service, severity="P3", title="Disk almost full on db1")
    log_in(page, "erin")
    page.goto(f"/incidents/{incident.pk}/")
    review = page.locator("#noise")
    expect(review).to_contain_text("No verdict yet")
    review.get_by_label("Reason (optional, short)").fill("Threshold at 80 %, disk is fine")
    review.get_by_role("button", name="False alarm", exact=True).click()

    expect(page.locator("#noise [data-noise-verdict]")).to_contain_text("False alarm")
    expect(page.locator("#noise [data-noise-verdict]")).to_contain_text("Threshold at 80 %, disk is fine")
    expect(page.locator(".incident-head .badges")).to_contain_text("False alarm")
    incident.refresh_from_db()
    assert incident.false_alarm and incident.noise_verdict == "false_alarm"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.NOISE_VERDICT).count() == 1

    page.locator("#noise").get_by_role("button", name="Noisy", exact=True).click()
    expect(page.locator("#noise [data-noise-verdict]")).to_contain_text("Noisy")
    incident.refresh_from_db()
    assert not incident.false_alarm and incident.noise_verdict == "noisy"
