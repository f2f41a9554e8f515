"""Swap requests in the admin: read-only records, approve / decline by buttons and by list actions, both
through the same services as the pages; a refusal becomes an error message."""

import pytest
from django.urls import reverse

from oncall.models import Override, OverrideSource, SwapState
from oncall.services import swap_request_accept, swap_request_create
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
PAUL_START, PAUL_END = utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)
PETRA_START, PETRA_END = utc(2026, 3, 16, 8), utc(2026, 3, 23, 8)


@pytest.fixture
def mona_client(client, mona):
    client.force_login(mona)
    return client


@pytest.fixture
def accepted(primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    return swap_request_accept(swap=swap, user=people["petra"])


@pytest.fixture
def still_open(primary, people):
    return swap_request_create(requester=people["petra"], rotation=primary, start=PETRA_START, end=PETRA_END,
                               offered_to=people["pia"])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def decide(client, swap, decision, note=""):
    return client.post(reverse("admin:oncall_swaprequest_decide", args=[swap.pk]),
                       {"decision": decision, "note": note}, follow=True)


def test_the_change_page_is_read_only_with_an_approve_button(mona_client, accepted):
    page = mona_client.get(reverse("admin:oncall_swaprequest_change", args=[accepted.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="approve"' in html and 'value="decline"' in html
    assert 'name="_save"' not in html
    assert set(page.context["adminform"].readonly_fields) >= {"state", "requester_name", "start", "end"}
    assert "Paul Payments" in html and "Petra Payments" in html


def test_approving_on_the_change_page_creates_the_override(mona_client, accepted, people):
    response = decide(mona_client, accepted, "approve", "Enjoy the wedding")

    accepted.refresh_from_db()
    assert accepted.state == SwapState.APPROVED and accepted.decided_by == people["mona"]
    override = Override.objects.get(swap=accepted)
    assert (override.user, override.start, override.end, override.source) == (
        people["petra"], PAUL_START, PAUL_END, OverrideSource.SWAP
    )
    assert f"Swap #{accepted.pk} is now approved." in messages_of(response)
    assert accepted.events.last().note == "Enjoy the wedding"


def test_declining_on_the_change_page(mona_client, accepted):
    response = decide(mona_client, accepted, "decline")

    accepted.refresh_from_db()
    assert accepted.state == SwapState.DECLINED
    assert f"Swap #{accepted.pk} is now declined." in messages_of(response)
    assert not Override.objects.exists()


def test_approving_an_open_swap_is_refused_with_the_reason(mona_client, still_open):
    page = mona_client.get(reverse("admin:oncall_swaprequest_change", args=[still_open.pk]))
    assert 'value="approve"' not in page.content.decode()

    response = decide(mona_client, still_open, "approve")

    still_open.refresh_from_db()
    assert still_open.state == SwapState.OPEN
    assert f"Swap #{still_open.pk}: Swap #{still_open.pk} has not been accepted yet." in messages_of(response)


def test_list_actions_approve_and_decline_each_through_the_services(mona_client, accepted, still_open):
    url = reverse("admin:oncall_swaprequest_changelist")

    approved = mona_client.post(url, {"action": "approve_selected", "_selected_action": [accepted.pk, still_open.pk]},
                                follow=True)

    accepted.refresh_from_db()
    still_open.refresh_from_db()
    assert (accepted.state, still_open.state) == (SwapState.APPROVED, SwapState.OPEN)
    assert f"Approved: swap #{accepted.pk}." in messages_of(approved)
    assert any("has not been accepted yet" in m for m in messages_of(approved))

    declined = mona_client.post(url, {"action": "decline_selected", "_selected_action": [still_open.pk]}, follow=True)
    still_open.refresh_from_db()
    assert still_open.state == SwapState.DECLINED
    assert f"Declined: swap #{still_open.pk}." in messages_of(declined)


def test_a_manager_who_is_one_of_the_two_swapping_cannot_approve(client, team, primary, people, accepted):
    from oncall.services import team_member_set

    team_member_set(team=team, user=people["petra"], role="manager")
    people["petra"].refresh_from_db()
    client.force_login(people["petra"])

    response = decide(client, accepted, "approve")

    accepted.refresh_from_db()
    assert accepted.state == SwapState.ACCEPTED
    assert any("Someone other than the two people swapping" in m for m in messages_of(response))


def test_list_filters_by_state_and_team(mona_client, accepted, still_open, team):
    url = reverse("admin:oncall_swaprequest_changelist")
    response = mona_client.get(url, {"state__exact": "accepted"})
    assert list(response.context["cl"].result_list) == [accepted]
    response = mona_client.get(url, {"rotation__team__id__exact": team.pk})
    assert set(response.context["cl"].result_list) == {accepted, still_open}
    assert mona_client.get(reverse("admin:oncall_swaprequest_add")).status_code == 403
