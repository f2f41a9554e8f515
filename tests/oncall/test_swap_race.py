"""Real concurrent transactions on PostgreSQL: two colleagues accepting one swap at once, exactly one wins."""

import threading

import pytest
from django.db import connection

from config.errors import ConflictError
from oncall.models import Override, SwapRequest, SwapRequestEvent, SwapState
from oncall.services import swap_request_accept, swap_request_approve, swap_request_cancel, swap_request_create
from tests.oncall.conftest import utc

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
    """Run each call in its own thread (own DB connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # collected and asserted on by the test
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_colleagues_accepting_the_same_swap_at_once_exactly_one_wins(primary, people):
    # The `now` fixture's frozen clock is process-wide, so the worker threads share it.
    weeks = [
        ("paul", utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)),
        ("petra", utc(2026, 3, 16, 8), utc(2026, 3, 23, 8)),
        ("pete", utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)),
    ]
    for shift_owner, start, end in weeks:  # three rounds: a race won by luck once will not be thrice
        swap = swap_request_create(requester=people[shift_owner], rotation=primary, start=start, end=end)
        takers = [people[n] for n in ("pia", "paul", "petra", "pete") if n != shift_owner][:2]
        results = run_at_once(*(lambda u=u, pk=swap.pk: swap_request_accept(swap=pk, user=u) for u in takers))
        assert sorted(kind for kind, _ in results) == ["error", "ok"], results
        error = next(value for kind, value in results if kind == "error")
        winner = SwapRequest.objects.get(pk=swap.pk)
        assert isinstance(error, ConflictError)
        assert winner.state == SwapState.ACCEPTED and winner.accepted_by in takers
        assert f"already accepted by {winner.accepted_by.get_full_name()}" in error.message
        assert SwapRequestEvent.objects.filter(swap=swap, to_state=SwapState.ACCEPTED).count() == 1


def test_approval_racing_a_cancellation_leaves_one_consistent_outcome(primary, people):
    swap = swap_request_create(requester=people["paul"], rotation=primary, start=utc(2026, 3, 9, 8),
                               end=utc(2026, 3, 16, 8))
    swap_request_accept(swap=swap, user=people["petra"])
    results = run_at_once(
        lambda: swap_request_approve(swap=swap.pk, user=people["mona"]),
        lambda: swap_request_cancel(swap=swap.pk, user=people["paul"]),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert isinstance(next(value for kind, value in results if kind == "error"), ConflictError)
    final = SwapRequest.objects.get(pk=swap.pk)
    assert final.state in (SwapState.APPROVED, SwapState.CANCELLED)
    assert Override.objects.filter(swap=swap).exists() == (final.state == SwapState.APPROVED)
