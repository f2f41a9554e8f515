"""The insights page in a real browser: an engineer opens it from the navigation, picks March, and the charts
show the seeded incidents (tests/metrics/conftest.py): bars, points and labels as SVG, no CDN."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories.oncall import PASSWORD
from tests.metrics.conftest import world  # noqa: F401  (the seeded four weeks)

SCREENSHOT = "/tmp/insights.png"


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_engineer_reads_the_charts_of_their_team(page: Page, world):  # noqa: F811
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, "erin")
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights")).to_be_visible()

    page.locator("#id_since").fill("2026-03-02")
    page.locator("#id_until").fill("2026-03-30")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".insights-window")).to_contain_text("2 Mar 2026, 00:00 – 30 Mar 2026, 00:00 UTC")

    volume = page.locator('[data-chart="alert-volume"] svg')
    expect(volume).to_be_visible()
    events = volume.locator('rect.bar[data-series="events"]')
    expect(events).to_have_count(4)
    assert [events.nth(i).get_attribute("data-value") for i in range(4)] == ["3", "2", "0", "1"]
    heights = [float(events.nth(i).get_attribute("height")) for i in range(4)]
    assert heights[0] > heights[1] > heights[3] > heights[2] == 0
    expect(volume.locator("text.x-label")).to_have_text(["Mar 2", "Mar 9", "Mar 16", "Mar 23"])
    expect(volume.locator('rect.bar[data-series="incidents"]')).to_have_count(4)

    mtta = page.locator('[data-chart="mtta-trend"] svg')
    points = mtta.locator("circle.point")
    expect(points).to_have_count(4)
    assert [points.nth(i).get_attribute("data-value") for i in range(4)] == ["4.0", "8.0", "25.0", "3.0"]  # minutes
    expect(mtta.locator("polyline.line")).to_have_count(1)
    mttr = page.locator('[data-chart="mttr-trend"] svg')
    expect(mttr.locator("circle.point")).to_have_count(3)  # week 3 has no resolved incident:
    expect(mttr.locator("polyline.line")).to_have_count(2)  # the line breaks there

    severity = page.locator('[data-chart="severity"] svg rect.bar')
    assert [severity.nth(i).get_attribute("data-value") for i in range(4)] == ["2", "3", "1", "0"]
    people = page.locator('[data-chart="after-hours"] svg')
    # Most after-hours pages first, then most pages.
    expect(people.locator("text.row-label")).to_have_text(["Erin Engineer", "Eli Engineer", "Mona Manager",
                                                           "Otto Outsider"])
    after_hours = people.locator('rect.bar[data-series="after_hours"]')
    assert [after_hours.nth(i).get_attribute("data-value") for i in range(4)] == ["1", "1", "1", "0"]
    expect(page.locator('[data-chart="overdue"] svg text.row-label')).to_have_text(["Payments"])

    recurrence = page.locator('[data-metric="recurrence"]')
    expect(recurrence.locator(".headline-value")).to_have_text("60 %")
    expect(recurrence.locator(".verdict")).to_have_text("Not met")
    expect(page.locator('[data-metric="alert_volume"] .verdict')).to_have_text("Met")

    page.locator('[data-chart="alert-volume"] summary').click()  # the chart's numbers as a table
    expect(page.locator('[data-chart="alert-volume"] table')).to_contain_text("Mar 16")
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert all(re.match(r"^http://(localhost|127\.0\.0\.1):\d+/", url) for url in requests), "no CDN"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_opens_the_dashboard_from_the_admin(page: Page, world):  # noqa: F811
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("mona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Metrics dashboard").click()

    page.locator("#id_since").fill("2026-03-02")
    page.locator("#id_until").fill("2026-03-30")
    page.get_by_role("button", name="Show").click()

    expect(page.locator(".insights-window")).to_contain_text("Payments · 6 incidents")
    expect(page.locator('[data-chart="severity"] svg rect.bar')).to_have_count(4)
    expect(page.locator('[data-chart="after-hours"] svg text.row-label')).to_have_count(4)
    page.screenshot(path="/tmp/insights_admin.png", full_page=True)
