"""A post-mortem from the automatic draft to the Markdown download, through the pages, in a real browser."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from incidents.services import incident_resolve
from postmortems.models import PostMortem, PostMortemState
from tests.factories import IncidentFactory
from tests.factories.oncall import PASSWORD

SCREENSHOT = "/tmp/postmortem_edit.png"
SCREENSHOT_PUBLISHED = "/tmp/postmortem_published.png"


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_engineer_files_publishes_and_downloads_a_postmortem(page: Page, service, engineer, tmp_path):
    incident = IncidentFactory(service=service, severity="P2", title="Checkout returns 503")
    incident_resolve(incident=incident, user=engineer)  # commits: the signal drafts the post-mortem
    postmortem = PostMortem.objects.get(incident=incident)
    assert postmortem.owner == engineer

    log_in(page, "erin")
    page.goto("/postmortems/")
    page.get_by_role("link", name="Checkout returns 503").click()
    expect(page.locator(".pm-head .pm-state")).to_have_text("Draft")
    expect(page.locator("#next-step")).to_contain_text("Write the executive summary.")
    page.get_by_role("link", name="Edit", exact=True).click()

    page.locator("#id_executive_summary").fill("Checkout returned 503 for 20 minutes after deploy 42.")
    page.locator("#id_root_cause").fill("An unreviewed timeout change exhausted the database connection pool.")

    page.locator('[name="whys-0-question"]').fill("Why did checkout return 503?")
    page.locator('[name="whys-0-answer"]').fill("Every pod failed its health check.")
    page.get_by_role("button", name="Add a why").click()  # the script adds the row in place
    expect(page.locator("#id_whys-TOTAL_FORMS")).to_have_value("2")
    expect(page.locator('[name="whys-1-step"]')).to_have_value("2")
    page.locator('[name="whys-1-question"]').fill("Why did the health checks fail?")
    page.locator('[name="whys-1-answer"]').fill("The connection pool was exhausted by 60s timeouts.")

    page.locator('[name="action_items-0-title"]').fill("Alert on connection pool saturation")
    page.locator('[name="action_items-0-owner"]').select_option(label="Erin Engineer")
    page.locator('[name="action_items-0-horizon"]').select_option("immediate")
    week = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    expect(page.locator('[name="action_items-0-due_date"]')).to_have_value(week)  # proposed by the horizon
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_role("button", name="Save and preview").click()
    expect(page.locator(".messages")).to_contain_text("Post-mortem saved.")
    expect(page.locator(".pm-whys li")).to_have_count(2)
    expect(page.locator(".pm-ready")).to_be_visible()

    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".pm-head .pm-state")).to_have_text("In review")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".pm-head .pm-state")).to_have_text("Published")
    expect(page.locator(".messages")).to_contain_text("is published")
    page.screenshot(path=SCREENSHOT_PUBLISHED, full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Markdown").click()
    download = download_info.value
    assert re.fullmatch(rf"postmortem-{incident.reference}-checkout-returns-503\.md", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    markdown = target.read_text(encoding="utf-8")

    assert markdown.startswith(f"# Post-Incident Review: Checkout returns 503 - {timezone.localdate().isoformat()}")
    assert "1. Why did checkout return 503?\n   → Every pod failed its health check." in markdown
    assert "2. Why did the health checks fail?" in markdown
    assert f"- [ ] **Alert on connection pool saturation** [Owner: Erin Engineer] [Due: {week}]" in markdown
    for heading in ("## Metadata", "## Executive Summary", "## What Happened (Timeline)", "## Impact Assessment",
                    "## Root Cause Analysis", "## What Went Well", "## What Could Be Improved", "## Action Items",
                    "## Lessons Learned", "## Appendix"):
        assert heading in markdown

    postmortem.refresh_from_db()
    assert postmortem.state == PostMortemState.PUBLISHED
    assert postmortem.whys.count() == 2 and postmortem.action_items.count() == 1
