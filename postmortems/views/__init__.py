"""Engineer-facing pages. Reads go through postmortems.selectors, writes through postmortems.services."""

from postmortems.views.actions import action_item_status, my_action_items, postmortem_transition
from postmortems.views.edit import postmortem_edit, postmortem_timeline_import
from postmortems.views.pages import (
    postmortem_detail,
    postmortem_for_incident,
    postmortem_list,
    postmortem_markdown_download,
    postmortem_print,
)

__all__ = [
    "action_item_status",
    "my_action_items",
    "postmortem_detail",
    "postmortem_edit",
    "postmortem_for_incident",
    "postmortem_list",
    "postmortem_markdown_download",
    "postmortem_print",
    "postmortem_timeline_import",
    "postmortem_transition",
]
