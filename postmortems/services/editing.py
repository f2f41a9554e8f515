"""Saving the edit form: the post-mortem's sections and its rows (whys, factors, timeline, action items)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.errors import ApplicationError, ConflictError
from incidents.selectors import can_act_on_incident
from postmortems.models import (
    TEXT_SECTIONS,
    ActionItem,
    ContributingFactor,
    FishboneCategory,
    Horizon,
    PostMortem,
    PostMortemTimelineEntry,
    Why,
)
from postmortems.services.action_items import apply_action_item_changes
from postmortems.services.notifications import notify_owner_of_draft

SAVE_FIELDS = ("title", "owner", "facilitator", "review_due_at", "review_meeting_at", *TEXT_SECTIONS)
ROW_FIELDS = {
    "whys": ("position", "question", "answer"),
    "factors": ("category", "title", "description"),
    "timeline": ("at", "text", "is_key_event"),
    "action_items": (
        "title", "description", "owner", "horizon", "due_date", "status", "wont_do_reason", "tracker_url", "factor",
    ),
}
Row = dict  # {"id": pk or None, "delete": bool, <field>: value, ...}: only the fields the user changed


def lock_postmortem(postmortem: PostMortem | int) -> PostMortem:
    pk = postmortem.pk if isinstance(postmortem, PostMortem) else postmortem
    return PostMortem.objects.select_for_update(of=("self",)).select_related("incident__service__team").get(pk=pk)


def editable_postmortem(postmortem: PostMortem | int, user) -> PostMortem:
    """Lock the post-mortem for an edit. Raises PermissionDenied (not a responder of the team) or
    ConflictError (published meanwhile)."""
    locked = lock_postmortem(postmortem)
    if not can_act_on_incident(user, locked.incident):
        raise PermissionDenied("You may not edit this post-mortem.")
    if not locked.is_editable:
        raise ConflictError(
            f"The post-mortem of {locked.incident.reference} is {locked.get_state_display().lower()} and read-only; "
            f"a manager of {locked.incident.service.team.name} can reopen it."
        )
    return locked


def _check_fields(kind: str, row: Row) -> None:
    unknown = set(row) - {"id", "delete", *ROW_FIELDS[kind]}
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")


def _required(value, message: str, field: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApplicationError(message, field=field)


def _split(model, postmortem: PostMortem, kind: str, rows: list[Row]):
    """(objects to delete, (object, row) pairs to update, rows to create). A row naming an object that is
    not this post-mortem's (any more) is a conflict: someone removed it meanwhile, or the form was forged."""
    for row in rows:
        _check_fields(kind, row)
    ids = {row["id"] for row in rows if row.get("id")}
    existing = {obj.pk: obj for obj in model.objects.filter(postmortem=postmortem, pk__in=ids)}
    if ids - set(existing):
        raise ConflictError("Someone removed a row you edited meanwhile; reload the page and try again.")
    deletes = [existing[row["id"]] for row in rows if row.get("id") and row.get("delete")]
    updates = [(existing[row["id"]], row) for row in rows if row.get("id") and not row.get("delete")]
    creates = [row for row in rows if not row.get("id") and not row.get("delete")]
    return deletes, updates, creates


def _save_whys(postmortem: PostMortem, rows: list[Row]) -> None:
    deletes, updates, creates = _split(Why, postmortem, "whys", rows)
    for why in deletes:
        why.delete()
    chain = []  # (wanted position, submission order, object)
    for index, (why, row) in enumerate(updates):
        for name in ("question", "answer"):
            if name in row:
                _required(row[name], "Each why needs a question and an answer.", name)
                setattr(why, name, row[name].strip())
        chain.append((row.get("position") or why.position, index, why))
    for index, row in enumerate(creates, start=len(updates)):
        _required(row.get("question"), "Each why needs a question and an answer.", "question")
        _required(row.get("answer"), "Each why needs a question and an answer.", "answer")
        why = Why(postmortem=postmortem, question=row["question"].strip(), answer=row["answer"].strip())
        chain.append((row.get("position") or 10_000, index, why))
    kept = {why.pk for _, _, why in chain if why.pk}
    for why in Why.objects.filter(postmortem=postmortem).exclude(pk__in=kept):
        chain.append((why.position, 20_000 + why.position, why))
    # Renumber 1..n in the wanted order; park existing rows out of the way first (positions are unique).
    Why.objects.filter(postmortem=postmortem).update(position=F("position") + 30_000)
    for position, (_, _, why) in enumerate(sorted(chain, key=lambda c: (c[0], c[1])), start=1):
        why.position = position
        why.save()


def _save_factors(postmortem: PostMortem, rows: list[Row]) -> None:
    deletes, updates, creates = _split(ContributingFactor, postmortem, "factors", rows)
    for factor in deletes:
        factor.delete()  # action items addressing it keep existing, unlinked
    for factor, row in updates:
        _apply_factor(factor, row)
        factor.save()
    for row in creates:
        factor = ContributingFactor(postmortem=postmortem, category="", description="")
        _apply_factor(factor, {"category": None, "description": None, **row})  # both required
        factor.save()


def _apply_factor(factor: ContributingFactor, row: Row) -> None:
    if "category" in row:
        if row["category"] not in FishboneCategory.values:
            raise ApplicationError("Choose a fishbone category for each contributing factor.", field="category")
        factor.category = row["category"]
    if "description" in row:
        _required(row["description"], "Describe each contributing factor.", "description")
        factor.description = row["description"].strip()
    if "title" in row:
        factor.title = (row["title"] or "").strip()


def _save_timeline(postmortem: PostMortem, rows: list[Row]) -> None:
    deletes, updates, creates = _split(PostMortemTimelineEntry, postmortem, "timeline", rows)
    for entry in deletes:
        entry.delete()
    for entry, row in updates:
        _apply_timeline(entry, row)
        entry.save()
    for row in creates:
        entry = PostMortemTimelineEntry(postmortem=postmortem)
        _apply_timeline(entry, {"at": None, "text": None, **row})  # both required
        entry.save()


def _apply_timeline(entry: PostMortemTimelineEntry, row: Row) -> None:
    if "at" in row:
        _required(row["at"], "Each timeline entry needs a time.", "at")
        entry.at = row["at"]
    if "text" in row:
        _required(row["text"], "Say what happened at each time on the timeline.", "text")
        entry.text = row["text"].strip()
    if "is_key_event" in row:
        entry.is_key_event = bool(row["is_key_event"])


def _save_action_items(postmortem: PostMortem, rows: list[Row], *, now: dt.datetime) -> None:
    deletes, updates, creates = _split(ActionItem, postmortem, "action_items", rows)
    for item in deletes:
        item.delete()
    for item, row in updates:
        apply_action_item_changes(item, {k: v for k, v in row.items() if k not in ("id", "delete")}, now=now)
        item.save()
    for row in creates:
        item = ActionItem(postmortem=postmortem, horizon=row.get("horizon") or Horizon.SHORT_TERM)
        changes = {k: v for k, v in row.items() if k not in ("id", "delete")}
        changes.setdefault("title", "")
        apply_action_item_changes(item, changes, now=now)
        item.save()


def postmortem_save(
    *,
    postmortem: PostMortem,
    user,
    fields: dict | None = None,
    attendees: list | None = None,
    whys: list[Row] | None = None,
    factors: list[Row] | None = None,
    timeline: list[Row] | None = None,
    action_items: list[Row] | None = None,
) -> PostMortem:
    """Save what the edit form changed, all or nothing.

    `fields` holds changed sections; each row list holds changed, added ({"id": None}) and removed
    ({"delete": True}) rows, with only the fields the user changed, so a concurrent quick status change on
    an action item is not overwritten by a stale form. Whys are renumbered 1..n in the order asked for;
    an action item without a due date gets the one its horizon proposes; its status rules are
    apply_action_item_changes'. A new owner of the post-mortem is told in the outbox.
    Raises PermissionDenied, ConflictError (published, or a row removed meanwhile), ApplicationError (with
    `field` set when one field is at fault).
    """
    now = timezone.now()
    with transaction.atomic():
        locked = editable_postmortem(postmortem, user)
        fields = fields or {}
        unknown = set(fields) - set(SAVE_FIELDS)
        if unknown:
            raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
        if "title" in fields:
            _required(fields["title"], "Give the post-mortem a title.", "title")
        old_owner = locked.owner_id
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        if fields:
            locked.save()
        if locked.owner_id != old_owner:
            notify_owner_of_draft(locked)
        if attendees is not None:
            locked.attendees.set(attendees)
        # Factors first: a removed factor unlinks the action items that addressed it.
        if factors:
            _save_factors(locked, factors)
        if whys:
            _save_whys(locked, whys)
        if timeline:
            _save_timeline(locked, timeline)
        if action_items:
            _save_action_items(locked, action_items, now=now)
        if not fields and (attendees is not None or whys or factors or timeline or action_items):
            locked.save(update_fields=["updated_at"])
    return locked
