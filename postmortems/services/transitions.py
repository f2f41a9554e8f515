"""The post-mortem's states. Each action locks the row, so of two people acting at once exactly one wins and
the other gets a ConflictError naming the state it is in now."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from config.errors import ApplicationError, ConflictError
from incidents.selectors import can_act_on_incident
from postmortems.guards import publish_problems
from postmortems.models import ActionItem, PostMortem, PostMortemEvent
from postmortems.selectors import can_publish_postmortem, can_reopen_postmortem
from postmortems.services.editing import lock_postmortem
from postmortems.services.notifications import notify_action_item_owner

ACTION_LABELS = {"submit": "Submit for review", "publish": "Publish", "reopen": "Reopen"}
STAMPS = {"submit": "submitted_at", "publish": "published_at", "reopen": None}


def _allowed(user, postmortem: PostMortem, action: str) -> bool:
    if action == "submit":
        return can_act_on_incident(user, postmortem.incident)
    if action == "publish":
        return can_publish_postmortem(user, postmortem)
    return can_reopen_postmortem(user, postmortem)


REFUSALS = {
    "submit": "Only responders of {team} submit this post-mortem for review.",
    "publish": "Only the owner, the facilitator or a manager of {team} publishes this post-mortem.",
    "reopen": "Only a manager of {team} reopens a published post-mortem.",
}


def postmortem_transition(*, postmortem: PostMortem | int, user, action: str, note: str = "") -> PostMortem:
    """Run one state change: submit (draft → in review), publish (in review → published), reopen
    (published → draft, managers only, with a reason). Guarantees: permission checked on the locked row,
    the publish guard passed, state changed by the django-fsm transition only, its time stamped, one
    PostMortemEvent written; on publish, each action item's owner is told in the outbox.
    Raises PermissionDenied, ConflictError (the state moved on), ApplicationError (what publishing lacks,
    listed in exc.extra["problems"]; a reopen without a reason)."""
    if action not in ACTION_LABELS:
        raise ApplicationError(f"Unknown action “{action}”.")
    note = (note or "").strip()
    with transaction.atomic():
        locked = lock_postmortem(postmortem)
        if not _allowed(user, locked, action):
            raise PermissionDenied(REFUSALS[action].format(team=locked.incident.service.team.name))
        if not can_proceed(getattr(locked, action)):
            raise ConflictError(
                f"Cannot {ACTION_LABELS[action].lower()}: the post-mortem of {locked.incident.reference} is "
                f"{locked.get_state_display().lower()}."
            )
        if action == "publish":
            problems = publish_problems(locked)
            if problems:
                raise ApplicationError("Not ready to publish: " + " ".join(problems), extra={"problems": problems})
        if action == "reopen" and not note:
            raise ApplicationError("Say why the post-mortem is reopened.", field="note")
        now = timezone.now()
        from_state = locked.state
        getattr(locked, action)()
        if STAMPS[action]:
            setattr(locked, STAMPS[action], now)
        locked.save()
        PostMortemEvent.objects.create(
            postmortem=locked, actor=user, at=now, from_state=from_state, to_state=locked.state, note=note
        )
        if action == "publish":
            for item in ActionItem.objects.filter(postmortem=locked).select_related("owner").order_by("id"):
                if item.owner_id != user.pk:  # the publisher knows
                    item.postmortem = locked
                    notify_action_item_owner(item)
    return locked


def postmortem_submit(*, postmortem, user, note: str = "") -> PostMortem:
    return postmortem_transition(postmortem=postmortem, user=user, action="submit", note=note)


def postmortem_publish(*, postmortem, user, note: str = "") -> PostMortem:
    return postmortem_transition(postmortem=postmortem, user=user, action="publish", note=note)


def postmortem_reopen(*, postmortem, user, note: str) -> PostMortem:
    return postmortem_transition(postmortem=postmortem, user=user, action="reopen", note=note)
