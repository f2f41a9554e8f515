"""An incident from declaration to closure, through the pages, in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Incident, IncidentState, StatusUpdate, TimelineEntry, TimelineKind
from tests.factories.oncall import PASSWORD

SCREENSHOT = "/tmp/incident_detail.png"


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def answer(page: Page, question: str, value: str) -> None:
    page.locator(f'[data-question="tree_{question}"]').get_by_label(value, exact=True).check()


def step(page: Page, button: str, state: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".incident-head .state")).to_have_text(state)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_incident_from_declaration_to_closure(page: Page, service, engineer, manager, outsider):
    log_in(page, "erin")
    page.get_by_role("link", name="Declare", exact=True).click()

    page.get_by_label("Service").select_option(label="Checkout API")
    page.get_by_label("Title").fill("Checkout fails for some card types")
    page.get_by_label("Description").fill("Amex payments return 502; other cards work.")

    # The decision tree reveals one question at a time and sets the severity once it decides.
    cosmetic = page.locator('[data-question="tree_cosmetic"]')
    expect(page.locator('[data-question="tree_many_users_blocked"]')).to_be_hidden()
    answer(page, "service_down", "No")
    answer(page, "many_users_blocked", "No")
    answer(page, "workaround_available", "Yes")
    answer(page, "revenue_or_security", "No")
    expect(cosmetic).to_be_hidden()
    answer(page, "few_users_affected", "Yes")
    expect(page.locator("#id_severity")).to_have_value("P3")
    expect(page.get_by_label("Use the decision tree to set the severity")).to_be_checked()
    expect(page.locator("[data-tree-result]")).to_contain_text("P3")
    expect(cosmetic).to_be_hidden()
    page.get_by_role("button", name="Declare incident").click()

    expect(page.locator(".incident-head h1")).to_contain_text("Checkout fails for some card types")
    expect(page.locator(".incident-head .sev")).to_contain_text("P3")
    incident = Incident.objects.get(title="Checkout fails for some card types")
    assert page.url.endswith(f"/incidents/{incident.pk}/")
    incident_url = page.url

    step(page, "Acknowledge", "Acknowledged")
    step(page, "Start investigating", "Investigating")

    # A status update started from the guide's template, filled in by the page's script.
    page.get_by_role("link", name="Initial notification").click()
    body = page.get_by_label("Update")
    expect(body).to_have_value(re.compile(r"^Subject: \[P3\] Checkout fails for some card types - Investigating"))
    page.get_by_role("button", name="Post update").click()
    expect(page.locator(".update-body").first).to_contain_text("SEVERITY: Priority 3 (Medium)")

    step(page, "Cause identified", "Identified")
    page.screenshot(path=SCREENSHOT, full_page=True)
    step(page, "Mitigating", "Resolving")
    step(page, "Resolve", "Resolved")
    expect(page.get_by_role("button", name="Close incident")).to_have_count(0)  # engineers do not close
    log_out(page)

    log_in(page, "mona")
    page.goto(incident_url)
    page.get_by_label("Resolution summary").fill("Card router rolled back to 4.2; Amex traffic recovered.")
    page.get_by_role("button", name="Close incident").click()
    expect(page.locator(".incident-head .state")).to_have_text("Closed")
    expect(page.locator(".messages")).to_contain_text("is now closed")
    log_out(page)

    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED
    assert incident.acknowledged_by == engineer
    assert incident.resolution_summary.startswith("Card router rolled back")
    assert StatusUpdate.objects.filter(incident=incident).count() == 1
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TRANSITION).count() == 6

    log_in(page, "otto")
    response = page.goto(incident_url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
