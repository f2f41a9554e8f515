"""Beat-driven sweeps that chase post-mortems and action items. Safe to run as often as you like, and
concurrently: due rows are locked with SKIP LOCKED and stamped with the day they were reminded, and every
message carries an idempotency key for its day (or week), so each reminder is written exactly once."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oncall.models import Team, TeamMembership, TeamRole
from postmortems.models import ActionItem, PostMortem
from postmortems.selectors import action_items_overdue, postmortems_review_overdue
from postmortems.services.notifications import notify_action_item_overdue, notify_review_overdue, notify_weekly_digest

BATCH_SIZE = 200


def _not_reminded(today: dt.date, field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": today})


def action_items_remind_overdue(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Remind the owner of every overdue open (or in-progress) action item, once per item per day.

    Returns how many reminders this run wrote; a concurrent run skips the rows this one holds and finds
    them stamped once it commits."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                action_items_overdue(today=today)
                .filter(_not_reminded(today, "reminded_on"))
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("owner", "postmortem__incident")
                .order_by("due_date", "id")[:batch_size]
            )
            for item in batch:
                if item.owner.is_active:
                    notify_action_item_overdue(item, today=today)
                    sent += 1
                item.reminded_on = today
            ActionItem.objects.bulk_update(batch, ["reminded_on"])
        if len(batch) < batch_size:
            return sent


def postmortems_remind_review_overdue(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Remind the owner of every draft past its review due date, once per day. Returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                postmortems_review_overdue(now=now)
                .filter(_not_reminded(today, "review_reminded_on"), owner__isnull=False)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("owner", "incident")
                .order_by("review_due_at", "id")[:batch_size]
            )
            for postmortem in batch:
                if postmortem.owner.is_active:
                    notify_review_overdue(postmortem, today=today)
                    sent += 1
                postmortem.review_reminded_on = today
            PostMortem.objects.bulk_update(batch, ["review_reminded_on"])
        if len(batch) < batch_size:
            return sent


def action_items_send_weekly_digest(*, now: dt.datetime | None = None) -> int:
    """Send each team's managers one digest of the team's overdue action items per ISO week (teams with
    none get nothing). Returns how many digests it wrote or found already written this week."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_team: dict[int, list[ActionItem]] = defaultdict(list)
    overdue = (
        action_items_overdue(today=today)
        .select_related("owner", "postmortem__incident__service", "service")
        .order_by("due_date", "id")
    )
    for item in overdue:
        by_team[item.team_id].append(item)
    if not by_team:
        return 0
    managers: dict[int, list] = defaultdict(list)
    for membership in TeamMembership.objects.filter(
        team_id__in=by_team, role=TeamRole.MANAGER, user__is_active=True
    ).select_related("user").order_by("user__username"):
        managers[membership.team_id].append(membership.user)
    digests = 0
    for team in Team.objects.filter(pk__in=by_team).order_by("name"):
        for manager in managers[team.pk]:
            with transaction.atomic():
                notify_weekly_digest(team=team, manager=manager, items=by_team[team.pk], today=today)
            digests += 1
    return digests
