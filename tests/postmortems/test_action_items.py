"""The action-item rules: horizon proposes the due date, won't do needs a reason, done stamps completed_at."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError, ConflictError
from postmortems.models import ActionItemStatus, Horizon, proposed_due_date
from postmortems.services import action_item_reassign, action_item_set_status, action_item_update, postmortem_save
from tests.factories import UserFactory
from tests.factories.postmortems import ActionItemFactory, FactorFactory, draft_for, published, resolved_incident

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("horizon", "due"), [
    (Horizon.IMMEDIATE, dt.date(2025, 1, 22)),
    (Horizon.SHORT_TERM, dt.date(2025, 2, 15)),
    (Horizon.LONG_TERM, dt.date(2025, 4, 15)),
])
def test_horizons_propose_the_guides_due_dates(horizon, due):
    assert proposed_due_date(horizon, dt.date(2025, 1, 15)) == due


def test_month_ends_are_clamped():
    assert proposed_due_date(Horizon.SHORT_TERM, dt.date(2025, 1, 31)) == dt.date(2025, 2, 28)
    assert proposed_due_date(Horizon.LONG_TERM, dt.date(2025, 11, 30)) == dt.date(2026, 2, 28)


def test_a_new_item_without_a_date_gets_its_horizons(draft, engineer):
    with time_machine.travel(dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC), tick=False):
        postmortem_save(postmortem=draft, user=engineer, action_items=[
            {"id": None, "title": "Pool alerts", "owner": engineer, "horizon": Horizon.IMMEDIATE, "due_date": None},
            {"id": None, "title": "Staging", "owner": engineer, "horizon": Horizon.LONG_TERM,
             "due_date": dt.date(2025, 3, 1)},
        ])
    assert list(draft.action_items.order_by("id").values_list("due_date", flat=True)) == [
        dt.date(2025, 1, 22), dt.date(2025, 3, 1),
    ]


def test_done_stamps_completed_at_and_reopening_clears_it(draft, engineer):
    item = ActionItemFactory(postmortem=draft, owner=engineer)
    item = action_item_set_status(item=item, user=engineer, status=ActionItemStatus.DONE)
    assert item.completed_at is not None
    item = action_item_set_status(item=item, user=engineer, status=ActionItemStatus.OPEN)
    assert item.completed_at is None


def test_wont_do_needs_a_reason(draft, engineer):
    item = ActionItemFactory(postmortem=draft, owner=engineer, title="Rewrite in Rust")
    with pytest.raises(ApplicationError, match="Say why “Rewrite in Rust” won't be done."):
        action_item_set_status(item=item, user=engineer, status=ActionItemStatus.WONT_DO, reason="  ")
    item = action_item_set_status(item=item, user=engineer, status=ActionItemStatus.WONT_DO, reason="Not the cause")
    assert (item.status, item.wont_do_reason, item.completed_at) == ("wont_do", "Not the cause", None)


def test_owner_from_another_team_may_update_their_item_but_stakeholders_may_not(draft, outsider, stakeholder):
    item = ActionItemFactory(postmortem=draft, owner=outsider)
    assert action_item_set_status(item=item, user=outsider, status="in_progress").status == "in_progress"
    with pytest.raises(PermissionDenied):
        action_item_set_status(item=item, user=stakeholder, status="done")


def test_reassigning_to_an_inactive_user_is_refused(draft, engineer):
    item = ActionItemFactory(postmortem=draft, owner=engineer)
    gone = UserFactory(username="gone", is_active=False)
    with pytest.raises(ApplicationError, match="is not an active user"):
        action_item_reassign(item=item, user=engineer, owner=gone)


def test_a_factor_of_another_postmortem_cannot_be_linked(draft, service, engineer):
    other = draft_for(resolved_incident(service=service, user=engineer), resolver=engineer)
    item = ActionItemFactory(postmortem=draft, owner=engineer)
    with pytest.raises(ApplicationError, match="contributing factor of this post-mortem"):
        action_item_update(item=item, user=engineer, factor=FactorFactory(postmortem=other))


def test_published_postmortems_refuse_edits_but_their_items_move_on(draft, engineer):
    published(draft, user=engineer)
    with pytest.raises(ConflictError, match="read-only"):
        postmortem_save(postmortem=draft, user=engineer, fields={"root_cause": "Changed my mind"})
    item = draft.action_items.get()
    assert action_item_set_status(item=item, user=engineer, status="done").status == "done"


def test_rows_of_another_postmortem_cannot_be_edited(draft, service, engineer):
    other = draft_for(resolved_incident(service=service, user=engineer), resolver=engineer)
    foreign = ActionItemFactory(postmortem=other, owner=engineer)
    with pytest.raises(ConflictError, match="reload the page"):
        postmortem_save(postmortem=draft, user=engineer, action_items=[{"id": foreign.pk, "title": "Hijack"}])
    foreign.refresh_from_db()
    assert foreign.title != "Hijack"


def test_stakeholders_cannot_save(draft, stakeholder):
    with pytest.raises(PermissionDenied):
        postmortem_save(postmortem=draft, user=stakeholder, fields={"root_cause": "x"})
