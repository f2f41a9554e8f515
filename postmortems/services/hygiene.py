"""Alert hygiene follow-ups: a manager turns a source the weekly review flagged (incidents.metrics.hygiene) into an
action item with an owner and a due date, in one step. The item has no post-mortem; it belongs to the flagged
source's service (and so its team), is listed in its owner's "My action items", chased by the overdue reminders
and the managers' weekly digest like any other. Lives here because incidents never imports post-mortems."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import ApplicationError
from incidents.metrics.hygiene import HygieneReport, SourceRow, alert_hygiene, hygiene_scope
from incidents.models import Service
from oncall.models import TeamMembership
from oncall.selectors import teams_managed_by
from postmortems.models import ActionItem, Horizon, proposed_due_date
from postmortems.services.action_items import apply_action_item_changes
from postmortems.services.notifications import notify_action_item_owner


def hygiene_item_title(row: SourceRow) -> str:
    return f"Tune or remove the alert: {row.label}"[:200]


def hygiene_item_description(row: SourceRow, report: HygieneReport) -> str:
    share = row.false_positive_share
    figures = (
        f"Alert hygiene review, week {report.iso_week}: {row.alerts} alerts, {row.incidents} incidents, "
        f"{'—' if share is None else f'{share:.0%}'} false positives, {row.noisy} noisy, "
        f"{row.after_hours_pages} after-hours pages."
    )
    return "\n".join([figures, *(f"- {flag.advice}" for flag in row.flags)])


def hygiene_origin(row: SourceRow, report: HygieneReport) -> str:
    return f"hygiene:{row.key}:{report.iso_week}"


def hygiene_action_item_create(
    *, user, source: str, week: dt.date, owner, due_date: dt.date | None = None, title: str = "",
    now: dt.datetime | None = None,
) -> tuple[ActionItem, bool]:
    """Create the action item for one flagged source ("integration:12" or "service:3") of one week; returns (item,
    created). The same source and week a second time (a double click, two managers at once) gives the existing
    item: a unique origin decides. Only managers of the source's team may; the owner must be a member of it.
    Raises PermissionDenied (not a manager there; an unknown source is the same answer), ApplicationError (not
    flagged that week, bad owner or title)."""
    now = now or timezone.now()
    report = _report_with(user, source, week, now=now)
    row = report.source(source)
    if not row.flagged:
        raise ApplicationError(f"{row.label} was not flagged in week {report.iso_week}.", field="source")
    if owner is None:
        raise ApplicationError("Choose an owner.", field="owner")
    if not TeamMembership.objects.filter(team_id=row.team_id, user=owner).exists():
        raise ApplicationError("The owner must be a member of the team.", field="owner")
    if due_date is not None and due_date < timezone.localdate(now):
        raise ApplicationError("The due date is in the past.", field="due_date")
    origin = hygiene_origin(row, report)
    existing = ActionItem.objects.filter(origin=origin).first()
    if existing is not None:
        return existing, False
    item = ActionItem(
        service=Service.objects.select_related("team").get(pk=row.service_id), origin=origin,
        horizon=Horizon.IMMEDIATE,
    )
    apply_action_item_changes(item, {
        "title": (title or "").strip() or hygiene_item_title(row),
        "description": hygiene_item_description(row, report),
        "owner": owner,
        "horizon": Horizon.IMMEDIATE,
        "due_date": due_date or proposed_due_date(Horizon.IMMEDIATE, timezone.localdate(now)),
    }, now=now)
    try:
        with transaction.atomic():
            item.save()
            notify_action_item_owner(item)  # the outbox row commits with the item
    except IntegrityError:
        winner = ActionItem.objects.filter(origin=origin).first()
        if winner is None:
            raise
        return winner, False
    return item, True


def _report_with(user, source: str, week: dt.date, *, now: dt.datetime) -> HygieneReport:
    """The week's report for the team of `source`, which the user must manage."""
    kind, _, pk = (source or "").partition(":")
    if kind not in ("integration", "service") or not (pk.isascii() and pk.isdigit()):  # int() refuses "²"
        raise ApplicationError("Unknown source.", field="source")
    lookup = {"pk": int(pk)} if kind == "service" else {"integrations__pk": int(pk)}
    team_slug = (
        Service.objects.filter(team__in=teams_managed_by(user), **lookup).values_list("team__slug", flat=True).first()
    )
    if team_slug is None:
        raise PermissionDenied("Only a manager of the source's team can do this.")
    report = alert_hygiene(hygiene_scope(teams=teams_managed_by(user), team=team_slug, week=week, now=now))
    if report.source(source) is None:
        raise PermissionDenied("Only a manager of the source's team can do this.")
    return report
