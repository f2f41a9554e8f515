from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from oncall.models import HandoffNote, Rotation
from oncall.schedule import shift_at
from oncall.selectors import is_team_approver


@transaction.atomic
def handoff_note_write(
    *, rotation: Rotation, author, open_incidents: str = "", ongoing_issues: str = "",
    scheduled_changes: str = "", shift_start: dt.datetime | None = None,
) -> HandoffNote:
    """The outgoing on-call's note for the hand-off at `shift_start` (default: the end of their current
    shift), following the guide's checklist. Raises PermissionDenied unless the author is the outgoing
    on-call (or a manager or lead of the team); ApplicationError if the note is empty or the author is
    not on call now and names no hand-off."""
    if not any(text.strip() for text in (open_incidents, ongoing_issues, scheduled_changes)):
        raise ApplicationError("Fill in at least one item of the hand-off checklist.")
    approver = is_team_approver(author, rotation.team)
    if shift_start is None:
        current = shift_at(rotation, timezone.now())
        if current is None or current.user != author:
            raise ApplicationError(f"You are not on call in {rotation.name} now; say which hand-off the note is for.")
        shift_start = current.end
    else:
        outgoing = shift_at(rotation, shift_start - dt.timedelta(microseconds=1))
        if not approver and (outgoing is None or outgoing.user != author):
            raise PermissionDenied("Only the outgoing on-call (or a manager or lead) writes this hand-off note.")
    return HandoffNote.objects.create(
        rotation=rotation, author=author, shift_start=shift_start, open_incidents=open_incidents.strip(),
        ongoing_issues=ongoing_issues.strip(), scheduled_changes=scheduled_changes.strip(),
    )
