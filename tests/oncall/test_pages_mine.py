"""“My on-call”: current and next shifts, swaps to and from me with their buttons, the hand-off note,
my calendar feed (with a new URL on request) and my blackouts."""

import pytest
from django.urls import reverse

from oncall.models import Blackout, HandoffNote, OnCallProfile
from oncall.services import handoff_note_write, swap_request_accept, swap_request_create
from tests.factories.oncall import member
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
URL = reverse("oncall:mine")
PAUL_START, PAUL_END = utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)


def as_user(client, user):
    client.force_login(user)
    return client


def test_my_oncall_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_person_on_call_sees_their_shift_and_what_comes_next(client, primary, secondary, people):
    response = as_user(client, people["pia"]).get(URL)

    assert response.status_code == 200
    current, upcoming = response.context["current"], response.context["upcoming"]
    assert [(c.rotation, c.shift.end) for c in current] == [(primary, PAUL_START)]
    assert [u.shift.start for u in upcoming] == [utc(2026, 3, 30, 7)]  # after the switch to summer time
    html = response.content.decode()
    assert "You are on call:" in html and "Payments primary" in html
    assert "Offer swap" in html and reverse("oncall:swap_new") + "?shift=" in html


def test_someone_off_call_sees_their_next_shift(client, primary, people):
    html = as_user(client, people["petra"]).get(URL).content.decode()
    assert "You are not on call now. Next:" in html
    assert "Mon 16 Mar, 08:00 UTC" in html  # Petra's profile clock is UTC


def test_the_calendar_feed_link_and_a_new_url(client, primary, people):
    client = as_user(client, people["paul"])
    profile = OnCallProfile.objects.get(user=people["paul"])
    old_feed = reverse("oncall:calendar_user", kwargs={"token": profile.calendar_token})
    assert f"http://testserver{old_feed}" in client.get(URL).content.decode()
    assert "webcal://testserver" in client.get(URL).content.decode()

    response = client.post(reverse("oncall:calendar_rotate"), follow=True)

    profile.refresh_from_db()
    new_feed = reverse("oncall:calendar_user", kwargs={"token": profile.calendar_token})
    assert new_feed != old_feed and new_feed in response.content.decode()
    assert client.get(old_feed).status_code == 404 and client.get(new_feed).status_code == 200


def test_swaps_to_and_from_me_with_the_buttons_i_may_use(client, primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               note="Family wedding")

    mine = as_user(client, people["paul"]).get(URL)
    assert [row["swap"] for row in mine.context["from_me"]] == [swap]
    assert mine.context["from_me"][0]["buttons"]["cancel"] and not mine.context["from_me"][0]["buttons"]["accept"]

    theirs = as_user(client, people["petra"]).get(URL)
    row = theirs.context["to_me"][0]
    assert row["swap"] == swap and row["buttons"]["accept"] and not row["buttons"]["cancel"]
    html = theirs.content.decode()
    assert reverse("oncall:swap_act", kwargs={"pk": swap.pk, "action": "accept"}) in html
    assert "Family wedding" in html


def test_accepted_swaps_wait_for_the_lead_on_their_page(client, primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    swap_request_accept(swap=swap, user=people["petra"])

    response = as_user(client, people["lena"]).get(URL)

    row = response.context["awaiting"][0]
    assert row["swap"] == swap and row["buttons"]["approve"] and row["buttons"]["decline"]
    assert "Waiting for your approval" in response.content.decode()


def test_the_outgoing_on_call_writes_the_hand_off_note_and_the_next_one_reads_it(client, primary, people):
    response = as_user(client, people["pia"]).get(URL)
    assert response.context["handoffs"][0]["form"] is not None
    assert "You hand off at" in response.content.decode()

    client.post(reverse("oncall:handoff_write", kwargs={"pk": primary.pk}), {
        "open_incidents": "INC-12 monitoring", "ongoing_issues": "Flaky card router", "scheduled_changes": "",
    })

    note = HandoffNote.objects.get()
    assert (note.author, note.shift_start) == (people["pia"], PAUL_START)
    paul_page = as_user(client, people["paul"]).get(URL)
    item = paul_page.context["handoffs"][0]
    assert item["note"] == note and item["form"] is None
    assert "Flaky card router" in paul_page.content.decode()


def test_only_the_outgoing_on_call_writes_the_note(client, primary, people):
    response = as_user(client, people["paul"]).post(
        reverse("oncall:handoff_write", kwargs={"pk": primary.pk}), {"ongoing_issues": "Not mine to say"}
    )
    assert response.status_code == 400
    assert any("You are not on call in Primary now" in str(m) for m in response.context["messages"])
    assert not HandoffNote.objects.exists()


def test_an_empty_hand_off_note_is_refused(client, primary, people):
    response = as_user(client, people["pia"]).post(reverse("oncall:handoff_write", kwargs={"pk": primary.pk}), {})
    assert response.status_code == 400
    assert any("Fill in at least one item" in str(m) for m in response.context["messages"])


def test_hand_off_notes_of_another_teams_rotation_are_not_found(client, primary, outsider):
    response = as_user(client, outsider).post(reverse("oncall:handoff_write", kwargs={"pk": primary.pk}),
                                              {"ongoing_issues": "x"})
    assert response.status_code == 404


def test_the_last_note_is_shown_even_when_i_am_not_outgoing(client, primary, people, mona):
    handoff_note_write(rotation=primary, author=mona, ongoing_issues="Watch the queue", shift_start=PAUL_START)
    html = as_user(client, people["pete"]).get(URL).content.decode()
    assert "Watch the queue" in html and "Mona Payments" in html


def test_i_record_a_blackout_in_my_time_zone(client, primary, people):
    from oncall.services import oncall_profile_set

    oncall_profile_set(user=people["paul"], time_zone="Europe/Berlin")
    client = as_user(client, people["paul"])

    response = client.post(reverse("oncall:blackout_new"), {
        "start": "2026-03-10T00:00", "end": "2026-03-12T00:00", "reason": "vacation", "note": "Skiing",
    }, follow=True)

    blackout = Blackout.objects.get(user=people["paul"])
    assert (blackout.start, blackout.end) == (utc(2026, 3, 9, 23), utc(2026, 3, 11, 23))
    assert "Skiing" in response.content.decode()

    refused = client.post(reverse("oncall:blackout_new"), {
        "start": "2026-03-12T00:00", "end": "2026-03-10T00:00", "reason": "vacation",
    })
    assert refused.status_code == 400 and "must end after it starts" in refused.content.decode()


def test_someone_in_no_rotation_sees_an_empty_page(client, team, now):
    newcomer = member(team, username="nina")
    response = as_user(client, newcomer).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "no on-call shifts in the next six weeks" in html and "no on-call profile yet" in html
