"""Swap pages: request a swap (a whole shift or part of it, to a named colleague or anyone), see it, and
take its steps. Every step is a service call; refusals show as messages with the matching status."""

import pytest
from django.urls import reverse

from oncall.models import Override, SwapRequest, SwapState
from oncall.services import swap_request_accept, swap_request_create
from tests.html_forms import form_data
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
NEW = reverse("oncall:swap_new")
PAUL_START, PAUL_END = utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)


def as_user(client, user):
    client.force_login(user)
    return client


def key(rotation, start) -> str:
    return f"{rotation.pk}@{start.isoformat()}"


def act(client, swap, action, **data):
    return client.post(reverse("oncall:swap_act", kwargs={"pk": swap.pk, "action": action}), data)


@pytest.fixture
def offered(primary, people):
    return swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               offered_to=people["petra"], note="Family wedding")


# --- requesting ---------------------------------------------------------------------------------


def test_the_form_offers_my_shifts_and_my_colleagues(client, primary, secondary, people, outsider):
    page = as_user(client, people["paul"]).get(NEW)

    form = page.context["form"]
    choices = dict(form.fields["shift"].choices)
    assert key(primary, PAUL_START) in choices
    assert "Payments primary: Mon 09 Mar 09:00 – Mon 16 Mar 09:00 CET (Europe/Berlin)" in choices.values()
    colleagues = set(form.fields["offered_to"].queryset)
    assert people["petra"] in colleagues and people["paul"] not in colleagues and outsider not in colleagues


def test_requesting_a_whole_shift_for_a_named_colleague(client, primary, people):
    response = as_user(client, people["paul"]).post(NEW, {
        "shift": key(primary, PAUL_START), "offered_to": people["petra"].pk, "note": "Family wedding",
    })

    swap = SwapRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("oncall:swap_detail", kwargs={"pk": swap.pk})
    assert (swap.requester, swap.offered_to, swap.start, swap.end, swap.state) == (
        people["paul"], people["petra"], PAUL_START, PAUL_END, SwapState.OPEN
    )


def test_requesting_part_of_a_shift_in_the_teams_time_zone(client, primary, people):
    as_user(client, people["paul"]).post(NEW, {
        "shift": key(primary, PAUL_START), "start": "2026-03-13T18:00", "end": "2026-03-16T09:00",
    })

    swap = SwapRequest.objects.get()
    assert (swap.start, swap.end, swap.offered_to) == (utc(2026, 3, 13, 17), PAUL_END, None)


def test_the_shift_link_from_my_page_preselects_it(client, primary, people):
    page = as_user(client, people["paul"]).get(NEW, {"shift": key(primary, PAUL_START)})
    assert form_data(page.content, "swap-form")["shift"] == key(primary, PAUL_START)


def test_a_refused_request_shows_the_services_reason_on_the_form(client, primary, people):
    client = as_user(client, people["paul"])
    response = client.post(NEW, {"shift": key(primary, PAUL_START), "start": "2026-03-20T10:00",
                                 "end": "2026-03-21T10:00"})
    assert response.status_code == 400
    assert "You are not on call in Primary for all of that time." in response.content.decode()

    current = client.post(NEW, {"shift": key(primary, utc(2026, 3, 2, 8))})  # someone else's shift
    assert current.status_code == 400 and "Select a valid choice" in current.content.decode()
    assert not SwapRequest.objects.exists()


def test_someone_without_shifts_is_told(client, team, people, now):
    html = as_user(client, people["lena"]).get(NEW).content.decode()
    assert "no shifts in the coming weeks" in html


# --- seeing one ---------------------------------------------------------------------------------


def test_the_swap_page_is_for_the_team_and_the_people_in_it(client, offered, people, outsider, team):
    url = reverse("oncall:swap_detail", kwargs={"pk": offered.pk})
    page = as_user(client, people["petra"]).get(url)
    assert page.status_code == 200 and page.context["buttons"] == {
        "accept": True, "cancel": False, "decline": True, "approve": False,
    }
    html = page.content.decode()
    assert "Family wedding" in html and "Mon 9 Mar 2026, 09:00 CET" in html

    assert as_user(client, people["pete"]).get(url).status_code == 200  # a teammate
    assert as_user(client, outsider).get(url).status_code == 404


# --- the steps ----------------------------------------------------------------------------------


def test_accept_then_approve_puts_the_colleague_on_call(client, offered, people):
    accepted = act(as_user(client, people["petra"]), offered, "accept", note="Happy to",
                   next=reverse("oncall:mine"))
    assert accepted.status_code == 302 and accepted.url == reverse("oncall:mine")
    offered.refresh_from_db()
    assert (offered.state, offered.accepted_by) == (SwapState.ACCEPTED, people["petra"])

    approved = act(as_user(client, people["lena"]), offered, "approve")
    assert approved.status_code == 302
    offered.refresh_from_db()
    assert offered.state == SwapState.APPROVED
    assert Override.objects.get(swap=offered).user == people["petra"]


def test_a_swap_offered_to_someone_else_cannot_be_accepted(client, offered, people):
    response = act(as_user(client, people["pete"]), offered, "accept")
    assert response.status_code == 403
    offered.refresh_from_db()
    assert offered.state == SwapState.OPEN


def test_the_second_acceptor_gets_a_conflict(client, primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    swap_request_accept(swap=swap, user=people["petra"])

    response = act(as_user(client, people["pete"]), swap, "accept")

    assert response.status_code == 409
    assert f"Swap #{swap.pk} was already accepted by Petra Payments." in response.content.decode()


def test_an_engineer_cannot_approve(client, offered, people):
    swap_request_accept(swap=offered, user=people["petra"])
    assert act(as_user(client, people["pete"]), offered, "approve").status_code == 403


def test_the_requester_cancels_and_others_cannot(client, offered, people):
    assert act(as_user(client, people["petra"]), offered, "cancel").status_code == 403
    assert act(as_user(client, people["paul"]), offered, "cancel").status_code == 302
    offered.refresh_from_db()
    assert offered.state == SwapState.CANCELLED
    again = act(client, offered, "cancel")
    assert again.status_code == 409 and "already cancelled" in again.content.decode()


def test_the_named_colleague_declines(client, offered, people):
    assert act(as_user(client, people["petra"]), offered, "decline").status_code == 302
    offered.refresh_from_db()
    assert (offered.state, offered.decided_by) == (SwapState.DECLINED, people["petra"])


def test_unknown_steps_and_other_teams_are_not_found(client, offered, people, outsider):
    assert act(as_user(client, people["petra"]), offered, "steal").status_code == 404
    assert act(as_user(client, outsider), offered, "accept").status_code == 404


def test_next_must_be_one_of_our_pages(client, offered, people):
    response = act(as_user(client, people["petra"]), offered, "accept", next="https://evil.example/")
    assert response.url == reverse("oncall:swap_detail", kwargs={"pk": offered.pk})


def test_notifications_link_to_the_swap_page(offered, people):
    from oncall.models import Notification

    link = Notification.objects.filter(recipient=people["petra"]).values_list("link", flat=True).first()
    assert link.endswith(reverse("oncall:swap_detail", kwargs={"pk": offered.pk}))
