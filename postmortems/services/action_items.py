"""Action items after the meeting: status changes, reassignment and date moves, from the pages and the admin."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from postmortems.models import ActionItem, ActionItemStatus, ContributingFactor, Horizon, proposed_due_date
from postmortems.selectors import can_update_action_item
from postmortems.services.notifications import notify_action_item_owner

ITEM_FIELDS = (
    "title", "description", "owner", "horizon", "due_date", "status", "wont_do_reason", "tracker_url", "factor",
)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def apply_action_item_changes(item: ActionItem, changes: dict, *, now: dt.datetime) -> None:
    """Set changed fields on `item` (not saved) under the action-item rules, the one place they live:
    a title is required; an owner must be an active user; the factor must belong to the same post-mortem;
    won't do needs a reason; done stamps completed_at (any other status clears it); a missing due date is
    proposed from the horizon, counted from today. Raises ApplicationError with the field at fault."""
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title:
            raise ApplicationError("Each action item needs a title.", field="title")
        item.title = title
    if "description" in changes:
        item.description = (changes["description"] or "").strip()
    if "owner" in changes:
        owner = changes["owner"]
        if owner is not None and not owner.is_active:
            raise ApplicationError(f"{_name(owner)} is not an active user.", field="owner")
        item.owner = owner
    if "horizon" in changes:
        if changes["horizon"] not in Horizon.values:
            raise ApplicationError("Choose immediate, short-term or long-term.", field="horizon")
        item.horizon = changes["horizon"]
    if "due_date" in changes:
        item.due_date = changes["due_date"]
    if "tracker_url" in changes:
        url = (changes["tracker_url"] or "").strip()
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError as exc:
                raise ApplicationError("Give the tracker link as an http(s) URL.", field="tracker_url") from exc
        item.tracker_url = url
    if "factor" in changes:
        factor: ContributingFactor | None = changes["factor"]
        if factor is not None and factor.postmortem_id != item.postmortem_id:
            raise ApplicationError("Link a contributing factor of this post-mortem.", field="factor")
        item.factor = factor
    if "status" in changes or "wont_do_reason" in changes:
        _apply_status(item, changes.get("status", item.status), changes.get("wont_do_reason", item.wont_do_reason),
                      now=now)
    if item.due_date is None:
        item.due_date = proposed_due_date(item.horizon, timezone.localdate(now))


def _apply_status(item: ActionItem, status: str, reason: str, *, now: dt.datetime) -> None:
    if status not in ActionItemStatus.values:
        raise ApplicationError("Unknown action item status.", field="status")
    reason = (reason or "").strip()
    if status == ActionItemStatus.WONT_DO and not reason:
        raise ApplicationError(f"Say why “{item.title or 'this action item'}” won't be done.", field="wont_do_reason")
    if status == ActionItemStatus.DONE:
        if item.status != ActionItemStatus.DONE or item.completed_at is None:
            item.completed_at = now
    else:
        item.completed_at = None
    item.status = status
    item.wont_do_reason = reason if status == ActionItemStatus.WONT_DO else ""


@transaction.atomic
def action_item_update(*, item: ActionItem | int, user, **changes) -> ActionItem:
    """Change an action item, also after its post-mortem is published (that is when items are chased).

    Its owner and the team's responders may. A new owner of a published post-mortem's item is notified.
    Raises PermissionDenied, ApplicationError."""
    pk = item.pk if isinstance(item, ActionItem) else item
    locked = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("postmortem__incident__service__team", "service__team", "owner")
        .get(pk=pk)
    )
    if not can_update_action_item(user, locked):
        raise PermissionDenied("You may not change this action item.")
    old_owner = locked.owner_id
    apply_action_item_changes(locked, changes, now=timezone.now())
    locked.save()
    live = locked.postmortem is None or locked.postmortem.is_published  # hygiene items are live from the start
    if live and locked.owner_id != old_owner:
        notify_action_item_owner(locked)
    return locked


def action_item_set_status(*, item: ActionItem | int, user, status: str, reason: str = "") -> ActionItem:
    """Open, in progress, done (stamps completed_at) or won't do (with a reason)."""
    changes = {"status": status}
    if status == ActionItemStatus.WONT_DO:
        changes["wont_do_reason"] = reason
    return action_item_update(item=item, user=user, **changes)


def action_item_reassign(*, item: ActionItem | int, user, owner) -> ActionItem:
    return action_item_update(item=item, user=user, owner=owner)
