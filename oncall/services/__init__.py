from oncall.services.api_tokens import api_token_authenticate, api_token_create, api_token_revoke
from oncall.services.escalation import DEFAULT_LEVELS, DEFAULT_POLICY_NAME, escalation_policy_seed_default
from oncall.services.handoff import handoff_note_write
from oncall.services.notifications import (
    notification_deliver,
    notification_enqueue,
    notification_retry,
    notifications_dispatch,
    notifications_enqueue_many,
    notifications_resend_pending,
)
from oncall.services.profiles import oncall_profile_set, profile_calendar_token_rotate
from oncall.services.rotations import (
    blackout_create,
    override_create,
    rotation_calendar_token_rotate,
    rotation_create,
    rotation_member_add,
    rotation_member_remove,
    rotation_member_reorder,
    shift_conflict_resolve,
)
from oncall.services.swaps import (
    swap_request_accept,
    swap_request_approve,
    swap_request_cancel,
    swap_request_create,
    swap_request_decline,
    swap_requests_expire,
)
from oncall.services.teams import team_member_remove, team_member_set, user_sync_groups

__all__ = [
    "DEFAULT_LEVELS",
    "DEFAULT_POLICY_NAME",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "blackout_create",
    "escalation_policy_seed_default",
    "handoff_note_write",
    "notification_deliver",
    "notification_enqueue",
    "notification_retry",
    "notifications_enqueue_many",
    "notifications_dispatch",
    "notifications_resend_pending",
    "oncall_profile_set",
    "override_create",
    "profile_calendar_token_rotate",
    "rotation_calendar_token_rotate",
    "rotation_create",
    "rotation_member_add",
    "rotation_member_remove",
    "rotation_member_reorder",
    "shift_conflict_resolve",
    "swap_request_accept",
    "swap_request_approve",
    "swap_request_cancel",
    "swap_request_create",
    "swap_request_decline",
    "swap_requests_expire",
    "team_member_remove",
    "team_member_set",
    "user_sync_groups",
]
