"""draft → in review → published, with the publish guard saying exactly what is missing; reopen by managers."""

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError, ConflictError
from oncall.models import Notification
from postmortems.guards import publish_problems
from postmortems.models import AppendOnlyError, PostMortemEvent, PostMortemState
from postmortems.services import postmortem_publish, postmortem_reopen, postmortem_submit
from tests.factories.postmortems import ActionItemFactory, FactorFactory, WhyFactory, complete, published

pytestmark = pytest.mark.django_db


def test_an_empty_draft_lists_everything_publishing_needs(draft):
    assert publish_problems(draft) == [
        "Write the executive summary.",
        "Write the root cause.",
        "Add at least one 5-whys step or contributing factor.",
        "Add at least one action item, with an owner and a due date.",
    ]


def test_each_action_item_needs_an_owner_and_a_due_date(draft, engineer):
    complete(draft, owner=engineer)
    ActionItemFactory(postmortem=draft, title="Add pool alerts", owner=None)
    ActionItemFactory(postmortem=draft, title="Write the runbook", owner=engineer, due_date=None)
    ActionItemFactory(postmortem=draft, title="Load test", owner=None, due_date=None)

    assert publish_problems(draft) == [
        "Action item “Add pool alerts” needs an owner.",
        "Action item “Write the runbook” needs a due date.",
        "Action item “Load test” needs an owner and a due date.",
    ]


def test_a_contributing_factor_is_as_good_as_a_why(draft, engineer):
    complete(draft, owner=engineer)
    draft.whys.all().delete()
    assert publish_problems(draft) == ["Add at least one 5-whys step or contributing factor."]
    FactorFactory(postmortem=draft)
    assert publish_problems(draft) == []


def test_publishing_an_incomplete_postmortem_is_refused_with_the_list(draft, engineer):
    postmortem_submit(postmortem=draft, user=engineer)
    WhyFactory(postmortem=draft)

    with pytest.raises(ApplicationError) as refused:
        postmortem_publish(postmortem=draft, user=engineer)

    assert refused.value.message == (
        "Not ready to publish: Write the executive summary. Write the root cause. "
        "Add at least one action item, with an owner and a due date."
    )
    assert refused.value.extra["problems"][0] == "Write the executive summary."
    draft.refresh_from_db()
    assert draft.state == PostMortemState.IN_REVIEW


def test_submit_then_publish_records_each_step(draft, engineer, engineer2):
    complete(draft, owner=engineer2)
    draft = postmortem_submit(postmortem=draft, user=engineer, note="Ready for Thursday's review.")
    assert draft.state == PostMortemState.IN_REVIEW and draft.submitted_at is not None

    draft = postmortem_publish(postmortem=draft, user=engineer)

    assert draft.state == PostMortemState.PUBLISHED and draft.published_at is not None
    steps = list(PostMortemEvent.objects.filter(postmortem=draft).values_list("from_state", "to_state", "actor"))
    assert steps == [("", "draft", None), ("draft", "in_review", engineer.pk), ("in_review", "published", engineer.pk)]
    assert PostMortemEvent.objects.get(to_state="in_review").note == "Ready for Thursday's review."
    # The action item's owner hears about it, once.
    assert list(Notification.objects.filter(recipient=engineer2).values_list("subject", flat=True)) == [
        "Action item for you: " + draft.action_items.get().title
    ]


def test_publishing_twice_is_a_conflict(draft, engineer):
    published(draft, user=engineer)
    with pytest.raises(ConflictError, match="is published"):
        postmortem_publish(postmortem=draft, user=engineer)


def test_publishing_skips_no_step(draft, engineer):
    complete(draft, owner=engineer)
    with pytest.raises(ConflictError, match="is draft"):
        postmortem_publish(postmortem=draft, user=engineer)


def test_only_owner_facilitator_or_manager_publish(draft, engineer, engineer2, manager, stakeholder):
    complete(draft, owner=engineer)
    postmortem_submit(postmortem=draft, user=engineer2)  # any responder submits
    with pytest.raises(PermissionDenied, match="owner, the facilitator or a manager of Payments"):
        postmortem_publish(postmortem=draft, user=engineer2)
    with pytest.raises(PermissionDenied):
        postmortem_publish(postmortem=draft, user=stakeholder)
    assert postmortem_publish(postmortem=draft, user=manager).state == PostMortemState.PUBLISHED


def test_stakeholders_and_outsiders_cannot_submit(draft, stakeholder, outsider):
    for user in (stakeholder, outsider):
        with pytest.raises(PermissionDenied):
            postmortem_submit(postmortem=draft, user=user)


def test_a_manager_reopens_a_published_postmortem_with_a_reason(draft, engineer, manager):
    published(draft, user=engineer)
    with pytest.raises(PermissionDenied, match="Only a manager of Payments"):
        postmortem_reopen(postmortem=draft, user=engineer, note="Typo")
    with pytest.raises(ApplicationError, match="Say why"):
        postmortem_reopen(postmortem=draft, user=manager, note="  ")

    reopened = postmortem_reopen(postmortem=draft, user=manager, note="The root cause was wrong: it was DNS.")

    assert reopened.state == PostMortemState.DRAFT
    last = PostMortemEvent.objects.filter(postmortem=draft).order_by("-at", "-id").first()
    assert (last.actor, last.from_state, last.to_state, last.note) == (
        manager, "published", "draft", "The root cause was wrong: it was DNS."
    )


def test_events_are_append_only(draft):
    event = PostMortemEvent.objects.get(postmortem=draft)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        PostMortemEvent.objects.filter(postmortem=draft).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        PostMortemEvent.objects.filter(postmortem=draft).delete()
