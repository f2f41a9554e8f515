import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q


class Horizon(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate (1 week)"
    SHORT_TERM = "short_term", "Short-term (1 month)"
    LONG_TERM = "long_term", "Long-term (3 months)"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_ITEM_STATES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def proposed_due_date(horizon: str, start: dt.date) -> dt.date:
    """The guide's horizons: immediate within a week, short-term within a month, long-term within three."""
    if horizon == Horizon.IMMEDIATE:
        return start + dt.timedelta(days=7)
    return _add_months(start, 1 if horizon == Horizon.SHORT_TERM else 3)


class ActionItem(models.Model):
    """Something to change so the incident does not recur. The guide: every action item has an owner and a
    due date, and is tracked to completion (done, or explicitly won't do with a reason)."""

    postmortem = models.ForeignKey(
        "postmortems.PostMortem", null=True, blank=True, on_delete=models.CASCADE, related_name="action_items",
        help_text="Empty for an item from the weekly alert hygiene review (it has a service instead).",
    )
    # Alert hygiene items (postmortems.services.hygiene): the service whose team owns the item, and the flagged
    # source it came from ("hygiene:integration:12:2026-W47"), unique so a double click makes one item.
    service = models.ForeignKey(
        "incidents.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="hygiene_action_items",
    )
    origin = models.CharField(max_length=120, blank=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="postmortem_action_items",
    )
    horizon = models.CharField(max_length=16, choices=Horizon.choices, default=Horizon.SHORT_TERM)
    due_date = models.DateField(null=True, blank=True, help_text="Empty: proposed from the horizon.")
    status = models.CharField(max_length=16, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN)
    wont_do_reason = models.TextField("reason for won't do", blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    tracker_url = models.URLField("tracker URL", blank=True, max_length=500)
    factor = models.ForeignKey(
        "postmortems.ContributingFactor", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="action_items", help_text="The contributing factor this addresses.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The overdue sweep stamps the day it reminded the owner: one reminder per item per day.
    reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["postmortem", "due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ActionItemStatus.WONT_DO) | ~Q(wont_do_reason=""),
                name="wont_do_needs_a_reason",
                violation_error_message="Say why this action item won't be done.",
            ),
            models.CheckConstraint(
                condition=Q(postmortem__isnull=False) | Q(service__isnull=False),
                name="action_item_has_postmortem_or_service",
            ),
            models.UniqueConstraint(fields=["origin"], condition=~Q(origin=""), name="one_action_item_per_origin"),
            models.CheckConstraint(
                condition=(Q(status=ActionItemStatus.DONE) & Q(completed_at__isnull=False))
                | (~Q(status=ActionItemStatus.DONE) & Q(completed_at__isnull=True)),
                name="completed_at_iff_done",
            ),
        ]
        # The overdue sweep selects open items by due date.
        indexes = [models.Index(fields=["status", "due_date"], name="actionitem_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ITEM_STATES

    @property
    def team_id(self) -> int:
        """The owning team: the post-mortem's incident's, or the hygiene item's service's."""
        return self.postmortem.incident.service.team_id if self.postmortem_id else self.service.team_id

    @property
    def source_label(self) -> str:
        """Where the item comes from, for messages and lists: "INC-42", or "alert hygiene · Checkout API"."""
        if self.postmortem_id:
            return self.postmortem.incident.reference
        return f"alert hygiene · {self.service.name}"

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today
