"""The messages post-mortems send, written to oncall's outbox in the caller's transaction.

Each carries text, an absolute link and an idempotency key; never a foreign key to a post-mortem, so the
outbox stays oncall's. The key names the fact being reported (a draft's owner, an item's owner, one day's
reminder, one week's digest), so writing the same fact twice leaves one row.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from oncall.services import notification_enqueue
from postmortems.models import ActionItem, PostMortem


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}"


def postmortem_link(postmortem: PostMortem) -> str:
    return absolute(reverse("postmortems:detail", kwargs={"pk": postmortem.pk}))


def my_action_items_link() -> str:
    return absolute(reverse("postmortems:my_action_items"))


def _utc(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "not set"


def notify_owner_of_draft(postmortem: PostMortem) -> None:
    if postmortem.owner is None or not postmortem.owner.is_active:
        return
    incident = postmortem.incident
    why = f"{incident.reference} was resolved and its" if postmortem.auto_drafted else "The"
    notification_enqueue(
        recipient=postmortem.owner,
        subject=f"[{incident.severity}] Post-mortem of {incident.reference} is yours: {incident.title}",
        body=(
            f"You own the post-mortem of {incident.reference} ({incident.severity}, {incident.service.name}). "
            f"{why} draft is prefilled with the incident's timeline.\n\n"
            f"Review due: {_utc(postmortem.review_due_at)} (the guide: within 48 hours of resolution).\n"
            "Keep it blameless: systems and processes, not people."
        ),
        link=postmortem_link(postmortem),
        idempotency_key=f"postmortems:postmortem:{postmortem.pk}:owner:{postmortem.owner_id}",
    )


def notify_review_overdue(postmortem: PostMortem, *, today: dt.date) -> None:
    incident = postmortem.incident
    notification_enqueue(
        recipient=postmortem.owner,
        subject=f"Post-mortem review overdue: {incident.reference} {postmortem.title}",
        body=(
            f"The review of the post-mortem of {incident.reference} was due {_utc(postmortem.review_due_at)} and "
            "it is still a draft. Finish it and submit it for review."
        ),
        link=postmortem_link(postmortem),
        idempotency_key=f"postmortems:postmortem:{postmortem.pk}:review-overdue:{today.isoformat()}",
    )


def notify_action_item_owner(item: ActionItem) -> None:
    """Tell an owner about an action item of a published post-mortem (on publish, on reassignment)."""
    if item.owner is None or not item.owner.is_active:
        return
    postmortem = item.postmortem
    origin = (
        f"the post-mortem of {postmortem.incident.reference} ({postmortem.title})" if postmortem
        else f"the alert hygiene review of {item.service.name}"
    )
    notification_enqueue(
        recipient=item.owner,
        subject=f"Action item for you: {item.title}",
        body=(
            f"You own “{item.title}” from {origin}, "
            f"due {item.due_date.isoformat() if item.due_date else 'without a date'}."
        ),
        link=my_action_items_link(),
        idempotency_key=f"postmortems:action-item:{item.pk}:owner:{item.owner_id}",
    )


def notify_action_item_overdue(item: ActionItem, *, today: dt.date) -> None:
    days = (today - item.due_date).days
    notification_enqueue(
        recipient=item.owner,
        subject=f"Overdue action item: {item.title}",
        body=(
            f"“{item.title}” ({item.source_label}) was due on "
            f"{item.due_date.isoformat()} ({days} day{'s' if days != 1 else ''} ago) and is still "
            f"{item.get_status_display().lower()}. Mark it done, move its due date, or say why it won't be done."
        ),
        link=my_action_items_link(),
        idempotency_key=f"postmortems:action-item:{item.pk}:overdue:{today.isoformat()}",
    )


def notify_weekly_digest(*, team, manager, items: list[ActionItem], today: dt.date) -> None:
    year, week, _ = today.isocalendar()
    lines = [
        f"- {item.title} — {_name(item.owner)} — due {item.due_date.isoformat()} "
        f"({(today - item.due_date).days} days overdue) — {item.source_label}"
        for item in items
    ]
    notification_enqueue(
        recipient=manager,
        subject=f"{team.name}: {len(items)} overdue post-mortem action item{'s' if len(items) != 1 else ''}",
        body=f"Overdue action items of {team.name} in week {year}-W{week:02d}:\n\n" + "\n".join(lines),
        link=absolute(reverse("admin:postmortems_actionitem_changelist") + "?overdue=yes"),
        idempotency_key=f"postmortems:digest:team:{team.pk}:{year}-W{week:02d}:manager:{manager.pk}",
    )
