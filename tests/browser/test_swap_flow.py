"""The guide's self-service swap with approval, in a real browser: an engineer offers a shift on the swap
page, a colleague accepts on their “My on-call” page, the manager approves in the admin, and the team
schedule shows the colleague for that shift."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from oncall.models import Override, RotationKind, SwapRequest, SwapState, TeamRole
from oncall.schedule import published_shifts
from tests.factories.oncall import PASSWORD, BlackoutFactory, responder, rotation_with

SCREENSHOT = "/tmp/schedule.png"
MINE_SCREENSHOT = "/tmp/oncall_mine.png"
SWAP_SCREENSHOT = "/tmp/swap_new.png"


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/?next=/oncall/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My on-call", exact=True)).to_be_visible()


def new_page(browser: Browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def schedule(team):
    """Payments (Berlin): a weekly primary of five and a secondary of four that started four weeks ago."""
    today = timezone.localdate()
    names = {
        "primary": [("pia", "Pia", "Schmidt"), ("paul", "Paul", "Weber"), ("petra", "Petra", "Koch"),
                    ("pete", "Pete", "Braun"), ("priya", "Priya", "Nair")],
        "secondary": [("sara", "Sara", "Lange"), ("sven", "Sven", "Hahn"), ("sina", "Sina", "Roth"),
                      ("sam", "Sam", "Fuchs")],
    }
    people = {
        username: responder(team, username=username, first_name=first, last_name=last)
        for group in names.values() for username, first, last in group
    }
    people["mona"] = responder(team, TeamRole.MANAGER, username="mona", first_name="Mona", last_name="Becker")
    start = today - dt.timedelta(weeks=4)
    primary = rotation_with(team, [people[u] for u, _, _ in names["primary"]], kind=RotationKind.PRIMARY,
                            name="Primary", start_date=start)
    secondary = rotation_with(team, [people[u] for u, _, _ in names["secondary"]], kind=RotationKind.SECONDARY,
                              name="Secondary", start_date=start)
    # A blackout three weeks out, so the published schedule shows a conflict.
    conflicted = published_shifts(secondary)[3]
    BlackoutFactory(user=conflicted.user, start=conflicted.start + dt.timedelta(days=1),
                    end=conflicted.start + dt.timedelta(days=3))
    return {"people": people, "primary": primary}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swap_requested_accepted_approved_and_shown_on_the_schedule(page: Page, browser, live_server, schedule):
    primary = schedule["primary"]
    now = timezone.now()
    shift = next(s for s in published_shifts(primary) if s.start > now + dt.timedelta(hours=1))
    requester = shift.user
    colleague = next(u for u in primary.members.order_by("username") if u != requester)
    colleague_name = colleague.get_full_name()
    key = f"{primary.pk}@{shift.start.astimezone(dt.UTC).isoformat()}"

    # 1. The engineer offers their next shift to a named colleague.
    log_in(page, requester.username)
    page.get_by_role("link", name="Request a swap").first.click()
    expect(page.get_by_role("heading", name="Request a swap")).to_be_visible()
    page.get_by_label("Your shift").select_option(value=key)
    page.get_by_label("Offer to").select_option(label=colleague_name)
    page.get_by_label("Note").fill("Family wedding that weekend")
    page.screenshot(path=SWAP_SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Offer the swap").click()
    swap = SwapRequest.objects.get()
    expect(page.get_by_role("heading", name=f"Swap #{swap.pk}")).to_be_visible()
    expect(page.locator("[data-swap-state]")).to_have_text("Open")

    # 2. The colleague accepts on their own page.
    other = new_page(browser, live_server)
    log_in(other, colleague.username)
    row = other.locator(f'[data-swap="{swap.pk}"]')
    expect(row).to_contain_text("Family wedding that weekend")
    other.screenshot(path=MINE_SCREENSHOT, full_page=True)
    row.get_by_role("button", name="Accept").click()
    expect(other.locator(".messages")).to_contain_text(f"You accepted swap #{swap.pk}")
    swap.refresh_from_db()
    assert (swap.state, swap.accepted_by) == (SwapState.ACCEPTED, colleague)

    # 3. The manager approves in the admin.
    admin = new_page(browser, live_server)
    log_in(admin, "mona")
    admin.goto("/admin/oncall/swaprequest/")
    admin.get_by_role("link", name=f"#{swap.pk}").click()
    admin.get_by_label("Note to both people (optional):").fill("Approved, enjoy")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.locator(".messagelist")).to_contain_text(f"Swap #{swap.pk} is now approved.")
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED
    assert Override.objects.get(swap=swap).user == colleague

    # 4. The team schedule shows the colleague for that shift, marked as a swap.
    page.goto("/oncall/teams/payments/")
    start = shift.start.astimezone(dt.UTC).isoformat()
    shift_row = page.locator(f'table[data-rotation="{primary.pk}"] tr[data-shift-start="{start}"]')
    expect(shift_row.locator(".who")).to_contain_text(colleague_name)
    expect(shift_row.locator(".src-swap")).to_have_text(f"Swap #{swap.pk}")
    expect(page.locator("tr.conflict")).to_have_count(1)
    page.screenshot(path=SCREENSHOT, full_page=True)

    for extra in (other, admin):
        extra.context.close()
