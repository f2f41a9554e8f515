from postmortems.services.action_items import action_item_reassign, action_item_set_status, action_item_update
from postmortems.services.drafts import (
    postmortem_create,
    postmortem_create_after_resolve,
    postmortem_timeline_import,
    postmortems_draft_missing,
)
from postmortems.services.editing import postmortem_save
from postmortems.services.reminders import (
    action_items_remind_overdue,
    action_items_send_weekly_digest,
    postmortems_remind_review_overdue,
)
from postmortems.services.transitions import (
    postmortem_publish,
    postmortem_reopen,
    postmortem_submit,
    postmortem_transition,
)

__all__ = [
    "action_item_reassign",
    "action_item_set_status",
    "action_item_update",
    "action_items_remind_overdue",
    "action_items_send_weekly_digest",
    "postmortem_create",
    "postmortem_create_after_resolve",
    "postmortem_publish",
    "postmortem_reopen",
    "postmortem_save",
    "postmortem_submit",
    "postmortem_timeline_import",
    "postmortem_transition",
    "postmortems_draft_missing",
    "postmortems_remind_review_overdue",
]
