from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from config.errors import ApplicationError
from oncall.models import OnCallProfile, new_feed_token

EDITABLE_PROFILE_FIELDS = frozenset({
    "email", "webhook_url", "time_zone", "onboarded_on", "shadow_shifts_completed", "training_completed",
    "production_access", "is_leadership",
})


@transaction.atomic
def oncall_profile_set(*, user, **fields) -> OnCallProfile:
    """Create or update `user`'s on-call profile with `fields` (contact methods, time zone, eligibility
    facts). Raises ApplicationError for an unknown field or an invalid value (the message says which)."""
    unknown = set(fields) - EDITABLE_PROFILE_FIELDS
    if unknown:
        raise ApplicationError(f"Unknown profile field(s): {', '.join(sorted(unknown))}.")
    profile, _ = OnCallProfile.objects.select_for_update().get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    try:
        profile.full_clean()
    except ValidationError as exc:
        field = next(iter(exc.message_dict), None) if hasattr(exc, "message_dict") else None
        raise ApplicationError(" ".join(exc.messages), field=field) from exc
    profile.save()
    return profile


@transaction.atomic
def profile_calendar_token_rotate(*, user) -> str:
    """Give `user`'s "my shifts" feed a new URL; the old one stops working at once."""
    profile, _ = OnCallProfile.objects.select_for_update().get_or_create(user=user)
    profile.calendar_token = new_feed_token()
    profile.save(update_fields=["calendar_token", "updated_at"])
    return profile.calendar_token
