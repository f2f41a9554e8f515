from postmortems.models.action_items import (
    OPEN_ITEM_STATES,
    ActionItem,
    ActionItemStatus,
    Horizon,
    proposed_due_date,
)
from postmortems.models.analysis import FISHBONE_HINTS, ContributingFactor, FishboneCategory, Why
from postmortems.models.postmortem import (
    EDITABLE_STATES,
    TEXT_SECTIONS,
    AppendOnlyError,
    PostMortem,
    PostMortemEvent,
    PostMortemState,
)
from postmortems.models.timeline import PostMortemTimelineEntry

__all__ = [
    "EDITABLE_STATES",
    "FISHBONE_HINTS",
    "OPEN_ITEM_STATES",
    "TEXT_SECTIONS",
    "ActionItem",
    "ActionItemStatus",
    "AppendOnlyError",
    "ContributingFactor",
    "FishboneCategory",
    "Horizon",
    "PostMortem",
    "PostMortemEvent",
    "PostMortemState",
    "PostMortemTimelineEntry",
    "Why",
    "proposed_due_date",
]
