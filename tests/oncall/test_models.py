"""What the database itself guarantees, and the models package keeping its old import paths."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from config.errors import ApplicationError
from oncall.models import (
    Blackout,
    Override,
    OverrideSource,
    RotationMember,
    SwapRequest,
)
from oncall.services import notification_enqueue, oncall_profile_set
from tests.factories.oncall import RotationFactory, UserFactory
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_the_models_package_keeps_the_foundation_names():
    from oncall.models import (  # noqa: F401
        RESPONDER_ROLES,
        Team,
        TeamMembership,
        TeamRole,
        Weekday,
        default_working_days,
        validate_time_zone,
    )
    from oncall.services import team_member_remove, team_member_set, user_sync_groups  # noqa: F401


def test_spans_must_end_after_they_start(primary, people):
    user = people["pia"]
    refused(lambda: Blackout.objects.create(user=user, start=utc(2026, 3, 2), end=utc(2026, 3, 2)))
    refused(lambda: Override.objects.create(rotation=primary, user=user, start=utc(2026, 3, 2), end=utc(2026, 3, 1)))
    refused(lambda: SwapRequest.objects.create(rotation=primary, requester=user, start=utc(2026, 3, 2),
                                               end=utc(2026, 3, 1)))


def test_rotation_positions_and_members_are_unique(primary, people):
    refused(lambda: RotationMember.objects.create(rotation=primary, user=people["sara"], position=0))
    refused(lambda: RotationMember.objects.create(rotation=primary, user=people["pia"], position=9))


def test_one_rotation_of_each_kind_and_hourly_shifts_at_least(team, primary):
    refused(lambda: RotationFactory(team=team, name="Another primary"))
    refused(lambda: RotationFactory(team=team, kind="secondary", shift_length=dt.timedelta(minutes=30)))


def test_an_override_from_a_swap_names_the_swap(primary, people):
    refused(lambda: Override.objects.create(rotation=primary, user=people["pia"], start=utc(2026, 3, 2),
                                            end=utc(2026, 3, 3), source=OverrideSource.SWAP))


def test_a_swap_is_never_offered_to_or_accepted_by_the_requester(primary, people):
    paul = people["paul"]
    refused(lambda: SwapRequest.objects.create(rotation=primary, requester=paul, offered_to=paul,
                                               start=utc(2026, 3, 9), end=utc(2026, 3, 10)))


def test_notifications_are_written_once_per_key(people):
    first = notification_enqueue(recipient=people["pia"], subject="Hi", body="Body", idempotency_key="k1")
    again = notification_enqueue(recipient=people["pia"], subject="Hi", body="Body", idempotency_key="k1")
    assert [n.pk for n in first] == [n.pk for n in again] and len(first) == 1


def test_profiles_are_set_through_a_validating_service():
    user = UserFactory()
    profile = oncall_profile_set(user=user, time_zone="Europe/Berlin", shadow_shifts_completed=3)
    assert profile.time_zone == "Europe/Berlin" and len(profile.calendar_token) >= 40 and profile.webhook_secret
    with pytest.raises(ApplicationError, match="not a known IANA time zone"):
        oncall_profile_set(user=user, time_zone="Mars/Olympus")
    with pytest.raises(ApplicationError, match="Unknown profile field"):
        oncall_profile_set(user=user, calendar_token="mine")


def test_a_team_can_still_be_deleted_with_its_whole_schedule(team, primary, people, mona):
    from oncall.models import EscalationLevel, EscalationPolicy, Team
    from oncall.services import swap_request_accept, swap_request_approve, swap_request_create

    swap = swap_request_create(requester=people["paul"], rotation=primary, start=utc(2026, 3, 9, 8),
                               end=utc(2026, 3, 16, 8))
    swap_request_accept(swap=swap, user=people["petra"])
    swap_request_approve(swap=swap, user=mona)
    policy = EscalationPolicy.objects.create(team=team, name="Custom")
    EscalationLevel.objects.create(policy=policy, position=1, delay=dt.timedelta(0), target_kind="primary",
                                   target_rotation=primary)
    team.delete()
    assert not Team.objects.filter(pk=team.pk).exists() and not Override.objects.exists()
