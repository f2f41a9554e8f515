"""The published schedule (the guide's six weeks ahead) as rows for a page or the admin preview.

Each row is one final shift with where it came from (the rotation, a manager's override or an approved
swap), the blackouts it conflicts with and, when asked for, the member who would take over the conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from oncall.models import Override, OverrideSource, Rotation
from oncall.schedule import PUBLISHED_WEEKS, Shift, ShiftSource, conflict_span, propose_conflict_resolution, shifts


@dataclass
class ScheduleRow:
    shift: Shift
    source: str  # "rotation", "override" or "swap"
    source_label: str
    is_now: bool
    override: Override | None = None
    conflicts: list = field(default_factory=list)  # the person's blackouts overlapping the shift
    conflict_start: dt.datetime | None = None
    conflict_end: dt.datetime | None = None
    proposal: Any = None  # who would take over the conflicted part; None if nobody can (or not asked)

    @property
    def user(self):
        return self.shift.user

    @property
    def start(self) -> dt.datetime:
        return self.shift.start

    @property
    def end(self) -> dt.datetime:
        return self.shift.end

    @property
    def has_conflict(self) -> bool:
        return bool(self.conflicts)

    @property
    def shift_start_param(self) -> str:
        """The shift's start as the conflict-resolution forms post it back."""
        return self.shift.start.astimezone(dt.UTC).isoformat()


def _source(shift: Shift, overrides: dict[int, Override]) -> tuple[str, str, Override | None]:
    if shift.source != ShiftSource.OVERRIDE:
        return "rotation", "Rotation", None
    override = overrides.get(shift.override_id)
    if override is not None and override.source == OverrideSource.SWAP:
        return "swap", f"Swap #{override.swap_id}", override
    return "override", "Override", override


def schedule_rows(
    rotation: Rotation, *, now: dt.datetime | None = None, weeks: int = PUBLISHED_WEEKS, proposals: bool = False
) -> list[ScheduleRow]:
    """The rotation's shifts from now to `weeks` ahead. With `proposals`, each conflicted row names the
    member oncall.schedule.propose_conflict_resolution would put on call for the conflicted part."""
    now = now or timezone.now()
    found = shifts(rotation, now, now + dt.timedelta(weeks=weeks))
    override_ids = {s.override_id for s in found if s.override_id}
    overrides = Override.objects.in_bulk(override_ids) if override_ids else {}
    rows = []
    for shift in found:
        source, label, override = _source(shift, overrides)
        row = ScheduleRow(shift=shift, source=source, source_label=label, override=override,
                          is_now=shift.start <= now < shift.end)
        if shift.conflicts:
            row.conflicts = list(shift.conflicts)
            row.conflict_start, row.conflict_end = conflict_span(shift)
            if proposals:
                proposal = propose_conflict_resolution(rotation, shift)
                row.proposal = proposal.user if proposal else None
        rows.append(row)
    return rows
