from oncall.models.api_token import ApiToken
from oncall.models.escalation import ESCALATION_ROLES, EscalationLevel, EscalationPolicy, EscalationTarget
from oncall.models.handoff import HandoffNote
from oncall.models.notification import Notification, NotificationChannel, NotificationKind, NotificationStatus
from oncall.models.profile import OnCallProfile, new_feed_token, new_webhook_secret
from oncall.models.rotation import (
    Blackout,
    BlackoutReason,
    Override,
    OverrideSource,
    Rotation,
    RotationKind,
    RotationMember,
)
from oncall.models.swap import LIVE_SWAP_STATES, SwapRequest, SwapRequestEvent, SwapState
from oncall.models.team import (
    RESPONDER_ROLES,
    Team,
    TeamMembership,
    TeamRole,
    Weekday,
    default_working_days,
    validate_time_zone,
)

__all__ = [
    "ESCALATION_ROLES",
    "LIVE_SWAP_STATES",
    "RESPONDER_ROLES",
    "ApiToken",
    "Blackout",
    "BlackoutReason",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationTarget",
    "HandoffNote",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "NotificationStatus",
    "OnCallProfile",
    "Override",
    "OverrideSource",
    "Rotation",
    "RotationKind",
    "RotationMember",
    "SwapRequest",
    "SwapRequestEvent",
    "SwapState",
    "Team",
    "TeamMembership",
    "TeamRole",
    "Weekday",
    "default_working_days",
    "new_feed_token",
    "new_webhook_secret",
    "validate_time_zone",
]
