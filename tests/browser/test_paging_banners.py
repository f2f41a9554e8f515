"""The incident page tells responders why nobody is being paged: deferred to working hours, or in maintenance."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_incident_flow import log_in
from tests.factories import IncidentFactory, ServiceFactory
from tests.factories.maintenance import MaintenanceWindowFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_incident_page_shows_the_deferral_and_the_maintenance_banner(page: Page, team, service, engineer):
    # Payments works on one weekday only, two days from now: a P3 now is outside its working hours.
    today = timezone.now().astimezone(team.tz)
    team.working_days = [(today.weekday() + 2) % 7]
    team.save()
    deferred = IncidentFactory(service=service, severity="P3", title="Invoices render slowly")
    expected = deferred.paging_deferred_until.astimezone(team.tz).strftime("%a %H:%M")

    wallet = ServiceFactory(team=team, name="Wallet", slug="wallet")
    now = timezone.now()
    MaintenanceWindowFactory(team=team, service=wallet, reason="Card vault migration",
                             starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=2))
    held = IncidentFactory(service=wallet, severity="P1", title="Wallet balance missing")

    log_in(page, "erin")
    page.goto(f"/incidents/{deferred.pk}/")
    banner = page.locator("#paging-hold")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"Paging deferred until {expected} (team time).")
    expect(page.locator(".incident-head")).to_contain_text("Paging deferred")

    page.goto(f"/incidents/{held.pk}/")
    expect(page.locator("#paging-hold")).to_contain_text("In maintenance: nobody is paged until")
    expect(page.locator("#paging-hold")).to_contain_text("Card vault migration")
    expect(page.locator(".incident-head")).to_contain_text("In maintenance")
    page.screenshot(path="/tmp/incident_maintenance_banner.png", full_page=False)
