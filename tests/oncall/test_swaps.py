"""The guide's self-service swap with approval: lifecycle, every guard, history and notifications.

Paul holds the primary from 2026-03-09 09:00 to 03-16 09:00 Berlin time (08:00 UTC); "now" is 03-04.
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from config.errors import ApplicationError, ConflictError
from oncall.models import Notification, NotificationChannel, Override, OverrideSource, SwapRequestEvent, SwapState
from oncall.schedule import shift_at
from oncall.services import (
    oncall_profile_set,
    swap_request_accept,
    swap_request_approve,
    swap_request_cancel,
    swap_request_create,
    swap_request_decline,
    swap_requests_expire,
)
from tests.factories.oncall import BlackoutFactory, responder
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
PAUL_START, PAUL_END = utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)


@pytest.fixture
def swap(primary, people):
    return swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               note="Family wedding")


@pytest.fixture
def accepted(swap, people):
    return swap_request_accept(swap=swap, user=people["petra"])


def history(swap):
    return list(SwapRequestEvent.objects.filter(swap=swap).values_list("from_state", "to_state", "actor__username"))


def inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("subject", flat=True))


def test_request_accept_approve_puts_the_colleague_on_call(swap, people, mona):
    assert swap.state == SwapState.OPEN
    swap = swap_request_accept(swap=swap, user=people["petra"], note="Happy to")
    assert (swap.state, swap.accepted_by) == (SwapState.ACCEPTED, people["petra"])
    assert shift_at(swap.rotation, utc(2026, 3, 10)).user == people["paul"]  # nothing changes before approval
    swap = swap_request_approve(swap=swap, user=mona)
    assert (swap.state, swap.decided_by) == (SwapState.APPROVED, mona)
    override = Override.objects.get(swap=swap)
    assert (override.user, override.start, override.end, override.source) == (
        people["petra"], PAUL_START, PAUL_END, OverrideSource.SWAP
    )
    assert shift_at(swap.rotation, utc(2026, 3, 10)).user == people["petra"]
    assert history(swap) == [
        ("", "open", "paul"), ("open", "accepted", "petra"), ("accepted", "approved", "mona"),
    ]


def test_requester_and_acceptor_hear_of_every_step(swap, people, mona):
    swap_request_accept(swap=swap, user=people["petra"])
    swap_request_approve(swap=swap, user=mona)
    assert inbox(people["paul"]) == [
        f"[Watchkeeper] Swap #{swap.pk}: Paul Payments offers a Primary shift",
        f"[Watchkeeper] Swap #{swap.pk}: Petra Payments accepted Paul Payments's Primary swap; it awaits approval",
        f"[Watchkeeper] Swap #{swap.pk}: Swap approved: Petra Payments covers Paul Payments's Primary shift",
    ]
    assert len(inbox(people["petra"])) == 3  # offered to anyone in the rotation, then as the acceptor
    assert len(inbox(mona)) == 1  # the approvers hear when there is something to approve
    body = Notification.objects.filter(recipient=people["paul"]).order_by("id").first().body
    assert "Primary from Mon 2026-03-09 08:00 UTC" in body and "Note: Family wedding" in body


def test_notifications_are_written_per_channel_once(primary, people):
    oncall_profile_set(user=people["paul"], webhook_url="https://chat.example.com/hooks/abc",
                       time_zone="Europe/Berlin")
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END)
    rows = Notification.objects.filter(recipient=people["paul"])
    assert sorted(rows.values_list("channel", flat=True)) == [NotificationChannel.EMAIL, NotificationChannel.WEBHOOK]
    assert all(key.startswith(f"swap:{swap.pk}:open:") for key in rows.values_list("idempotency_key", flat=True))
    assert "Mon 2026-03-09 09:00 CET" in rows.order_by("id").first().body  # in the recipient's own time zone


def test_part_of_a_shift_can_be_swapped(primary, people, mona):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=utc(2026, 3, 11),
                               end=utc(2026, 3, 13), offered_to=people["pete"])
    swap_request_accept(swap=swap, user=people["pete"])
    swap_request_approve(swap=swap, user=people["lena"])
    assert [shift_at(primary, utc(2026, 3, d)).user.username for d in (10, 12, 14)] == ["paul", "pete", "paul"]


def test_requester_must_own_the_time_they_offer(primary, people):
    with pytest.raises(ApplicationError, match="not on call in Primary for all of that time"):
        swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=utc(2026, 3, 17))
    with pytest.raises(ApplicationError, match="not on call"):
        swap_request_create(requester=people["pia"], rotation=primary, start=PAUL_START, end=PAUL_END)


def test_only_future_time_can_be_offered(primary, people):
    with pytest.raises(ApplicationError, match="already started"):
        swap_request_create(requester=people["pia"], rotation=primary, start=utc(2026, 3, 4), end=utc(2026, 3, 5))
    with pytest.raises(ApplicationError, match="end after it starts"):
        swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_END, end=PAUL_START)


def test_offers_go_to_someone_else_in_the_team_and_only_once(swap, primary, people, outsider):
    with pytest.raises(ApplicationError, match="someone else"):
        swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                            offered_to=people["paul"])
    with pytest.raises(ApplicationError, match="not a responder in Payments"):
        swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                            offered_to=outsider)
    with pytest.raises(ApplicationError, match=f"already offered part of that time in swap #{swap.pk}"):
        swap_request_create(requester=people["paul"], rotation=primary, start=utc(2026, 3, 12), end=PAUL_END)


def test_nobody_accepts_their_own_request(swap, people):
    with pytest.raises(ApplicationError, match="your own"):
        swap_request_accept(swap=swap, user=people["paul"])


def test_a_named_offer_is_for_that_colleague_only(primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               offered_to=people["pete"])
    with pytest.raises(PermissionDenied, match="offered to Pete Payments only"):
        swap_request_accept(swap=swap, user=people["petra"])


def test_an_open_offer_is_for_members_of_the_rotation(swap, people):
    with pytest.raises(PermissionDenied, match="Only members of Primary"):
        swap_request_accept(swap=swap, user=people["sara"])


def test_accepting_checks_eligibility(team, primary, people):
    rookie = responder(team, eligible=False, first_name="Rik", last_name="Rookie")
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               offered_to=rookie)
    with pytest.raises(ApplicationError, match="Rik Rookie cannot cover Primary.*incident-response training"):
        swap_request_accept(swap=swap, user=rookie)
    swap.refresh_from_db()
    assert swap.state == SwapState.OPEN


def test_accepting_checks_blackouts(swap, people):
    BlackoutFactory(user=people["petra"], start=utc(2026, 3, 14), end=utc(2026, 3, 20), reason="project_deadline")
    with pytest.raises(ApplicationError, match=r"blackout \(project deadline \(pre-approved\)\)"):
        swap_request_accept(swap=swap, user=people["petra"])


def test_accepting_checks_double_booking(primary, secondary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               offered_to=people["sven"])  # Sven is secondary that week
    with pytest.raises(ApplicationError, match="nobody is primary and secondary at once"):
        swap_request_accept(swap=swap, user=people["sven"])


def test_the_second_acceptor_gets_a_conflict_naming_the_first(accepted, people):
    with pytest.raises(ConflictError, match="already accepted by Petra Payments"):
        swap_request_accept(swap=accepted, user=people["pete"])


def test_a_started_shift_can_no_longer_be_accepted_or_approved(primary, accepted, people, mona):
    petras = swap_request_create(requester=people["petra"], rotation=primary, start=utc(2026, 3, 16, 8),
                                 end=utc(2026, 3, 23, 8))
    with time_machine.travel(utc(2026, 3, 16, 8), tick=False):
        with pytest.raises(ConflictError, match="already started"):
            swap_request_approve(swap=accepted, user=mona)
        with pytest.raises(ConflictError, match="already started"):
            swap_request_accept(swap=petras, user=people["pete"])


def test_only_a_manager_or_lead_approves(accepted, people):
    with pytest.raises(PermissionDenied, match="manager or lead"):
        swap_request_approve(swap=accepted, user=people["pete"])
    assert swap_request_approve(swap=accepted, user=people["lena"]).state == SwapState.APPROVED


def test_a_lead_cannot_approve_a_swap_they_take_part_in(primary, people, mona):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               offered_to=people["lena"])
    swap_request_accept(swap=swap, user=people["lena"])
    with pytest.raises(PermissionDenied, match="Someone other than the two people swapping"):
        swap_request_approve(swap=swap, user=people["lena"])
    assert swap_request_approve(swap=swap, user=mona).state == SwapState.APPROVED


def test_approving_needs_an_accepted_request_and_happens_once(swap, people, mona):
    with pytest.raises(ConflictError, match="has not been accepted yet"):
        swap_request_approve(swap=swap, user=mona)
    swap_request_accept(swap=swap, user=people["petra"])
    swap_request_approve(swap=swap, user=mona)
    with pytest.raises(ConflictError, match="already approved by Mona Payments"):
        swap_request_approve(swap=swap, user=people["lena"])
    assert Override.objects.filter(swap=swap).count() == 1


def test_approval_rechecks_the_acceptor(accepted, people, mona):
    BlackoutFactory(user=people["petra"], start=utc(2026, 3, 15), end=utc(2026, 3, 18))  # booked after accepting
    with pytest.raises(ApplicationError, match="Petra Payments has a blackout"):
        swap_request_approve(swap=accepted, user=mona)
    accepted.refresh_from_db()
    assert accepted.state == SwapState.ACCEPTED and not Override.objects.filter(swap=accepted).exists()


def test_managers_decline_and_named_colleagues_turn_down_offers(primary, swap, accepted, people, mona):
    with pytest.raises(PermissionDenied):
        swap_request_decline(swap=accepted, user=people["pete"])
    declined = swap_request_decline(swap=accepted, user=mona, note="Not during the release")
    assert (declined.state, declined.decided_by) == (SwapState.DECLINED, mona)
    named = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                                offered_to=people["pete"])
    assert swap_request_decline(swap=named, user=people["pete"]).state == SwapState.DECLINED
    assert history(declined)[-1] == ("accepted", "declined", "mona")


def test_only_the_requester_cancels_and_only_while_live(swap, people, mona):
    with pytest.raises(PermissionDenied, match="Only the requester"):
        swap_request_cancel(swap=swap, user=mona)
    cancelled = swap_request_cancel(swap=swap, user=people["paul"])
    assert cancelled.state == SwapState.CANCELLED and cancelled.closed_at is not None
    with pytest.raises(ConflictError, match="already cancelled"):
        swap_request_cancel(swap=swap, user=people["paul"])
    with pytest.raises(ConflictError, match="already cancelled"):
        swap_request_accept(swap=swap, user=people["petra"])


def test_requests_whose_shift_started_expire(primary, swap, people, mona):
    later = swap_request_create(requester=people["petra"], rotation=primary, start=utc(2026, 3, 16, 8),
                                end=utc(2026, 3, 23, 8))
    swap_request_accept(swap=swap, user=people["pete"])
    with time_machine.travel(utc(2026, 3, 9, 8, 1), tick=False):
        assert swap_requests_expire() == 1
        assert swap_requests_expire() == 0
    swap.refresh_from_db()
    later.refresh_from_db()
    assert (swap.state, later.state) == (SwapState.EXPIRED, SwapState.OPEN)
    assert history(swap)[-1] == ("accepted", "expired", None)
    assert f"[Watchkeeper] Swap #{swap.pk}: Swap expired" in inbox(people["pete"])[-1]


def test_approved_swaps_do_not_expire(accepted, mona):
    swap_request_approve(swap=accepted, user=mona)
    with time_machine.travel(PAUL_END, tick=False):
        assert swap_requests_expire() == 0


def test_the_state_and_history_cannot_be_rewritten(swap):
    with pytest.raises(AttributeError):
        swap.state = SwapState.APPROVED
    event = SwapRequestEvent.objects.get(swap=swap)
    event.note = "edited"
    with pytest.raises(ValidationError, match="append-only"):
        event.save()
    with pytest.raises(ValidationError, match="append-only"):
        event.delete()


def test_once_accepted_only_a_manager_or_lead_can_decline(primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=PAUL_START, end=PAUL_END,
                               offered_to=people["pete"])
    swap_request_accept(swap=swap, user=people["pete"])
    with pytest.raises(ConflictError, match="only a manager or lead can decline it now"):
        swap_request_decline(swap=swap, user=people["pete"])
    assert swap_request_decline(swap=swap, user=people["lena"]).state == SwapState.DECLINED
