"""The guide's on-call eligibility: who may be put on call (rotation membership, override, swap).

Requirements: onboarding completed 30+ days ago, 2+ shadowed on-call shifts, incident-response
training completed, production access. ("Familiar with monitoring and alerting" is what the shadow
shifts and the training establish; it is not recorded separately.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from config.errors import ApplicationError

MIN_DAYS_SINCE_ONBOARDING = 30
MIN_SHADOW_SHIFTS = 2


@dataclass(frozen=True)
class MissingRequirement:
    code: str
    message: str


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def missing_requirements(user, *, today: dt.date | None = None) -> list[MissingRequirement]:
    """What stands between `user` and going on call; empty when they are eligible."""
    from oncall.models import OnCallProfile

    today = today or timezone.localdate()
    # Read afresh: a user instance may carry a profile cached before the facts changed.
    profile = OnCallProfile.objects.filter(user_id=user.pk).first()
    if profile is None:
        return [
            MissingRequirement("profile", "has no on-call profile, so none of the eligibility requirements "
                                          "(onboarding, shadow shifts, training, production access) is recorded")
        ]
    missing = []
    if profile.onboarded_on is None:
        missing.append(MissingRequirement(
            "onboarding", f"has no onboarding date recorded (on-call needs {MIN_DAYS_SINCE_ONBOARDING}+ days)"
        ))
    else:
        days = (today - profile.onboarded_on).days
        if days < MIN_DAYS_SINCE_ONBOARDING:
            missing.append(MissingRequirement(
                "onboarding",
                f"was onboarded {days} day{'s' if days != 1 else ''} ago (on {profile.onboarded_on:%Y-%m-%d}); "
                f"on-call needs {MIN_DAYS_SINCE_ONBOARDING}+ days",
            ))
    if profile.shadow_shifts_completed < MIN_SHADOW_SHIFTS:
        missing.append(MissingRequirement(
            "shadow_shifts",
            f"has shadowed {profile.shadow_shifts_completed} of the {MIN_SHADOW_SHIFTS} required on-call shifts",
        ))
    if not profile.training_completed:
        missing.append(MissingRequirement("training", "has not completed incident-response training"))
    if not profile.production_access:
        missing.append(MissingRequirement("production_access", "has no production access"))
    return missing


def is_eligible(user, *, today: dt.date | None = None) -> bool:
    return not missing_requirements(user, today=today)


def eligibility_error(user, missing: list[MissingRequirement]) -> ApplicationError:
    return ApplicationError(
        f"{display_name(user)} cannot go on call: {'; '.join(m.message for m in missing)}.",
        extra={"missing": [m.code for m in missing]},
    )


def assert_eligible(user, *, today: dt.date | None = None) -> None:
    """Raises ApplicationError naming every missing requirement."""
    missing = missing_requirements(user, today=today)
    if missing:
        raise eligibility_error(user, missing)
