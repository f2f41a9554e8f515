"""Rotation membership, overrides, blackouts and conflict resolution through the services."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from oncall.models import OverrideSource, RotationKind, RotationMember, TeamRole
from oncall.schedule import ShiftSource, shift_at, shifts
from oncall.selectors import rotation_size_warning
from oncall.services import (
    blackout_create,
    override_create,
    rotation_calendar_token_rotate,
    rotation_create,
    rotation_member_add,
    rotation_member_remove,
    rotation_member_reorder,
    shift_conflict_resolve,
)
from tests.factories.oncall import BlackoutFactory, RotationFactory, member, responder
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db


def order(rotation):
    return list(RotationMember.objects.filter(rotation=rotation).values_list("user__username", "position"))


def test_members_are_added_in_order_and_inserted_where_asked(team, people):
    rotation = RotationFactory(team=team)
    for name in ("pia", "paul", "petra"):
        rotation_member_add(rotation=rotation, user=people[name])
    rotation_member_add(rotation=rotation, user=people["pete"], position=1)
    assert order(rotation) == [("pia", 0), ("pete", 1), ("paul", 2), ("petra", 3)]


def test_removing_and_reordering_keeps_positions_contiguous(primary, people):
    rotation_member_remove(rotation=primary, user=people["paul"])
    assert order(primary) == [("pia", 0), ("petra", 1), ("pete", 2)]
    rotation_member_reorder(rotation=primary, users=[people["pete"], people["pia"], people["petra"]])
    assert order(primary) == [("pete", 0), ("pia", 1), ("petra", 2)]
    with pytest.raises(ApplicationError, match="every current member"):
        rotation_member_reorder(rotation=primary, users=[people["pete"], people["pia"]])


def test_an_ineligible_engineer_cannot_join_and_is_told_why(team, now):
    rookie = responder(team, eligible=False, first_name="Rik", last_name="Rookie")
    with pytest.raises(ApplicationError) as caught:
        rotation_member_add(rotation=RotationFactory(team=team), user=rookie)
    message = caught.value.message
    assert message.startswith("Rik Rookie cannot go on call: has no onboarding date recorded")
    assert "has shadowed 0 of the 2" in message and "incident-response training" in message
    assert "no production access" in message


def test_only_responders_of_the_team_join_its_rotations(team, outsider, now):
    watcher = member(team, TeamRole.STAKEHOLDER)
    rotation = RotationFactory(team=team)
    for user in (watcher, outsider):
        with pytest.raises(ApplicationError, match="not a responder in Payments"):
            rotation_member_add(rotation=rotation, user=user)


def test_a_member_joins_once(primary, people):
    with pytest.raises(ApplicationError, match="already in Primary"):
        rotation_member_add(rotation=primary, user=people["pia"])


def test_a_team_has_one_rotation_of_each_kind(team, primary):
    with pytest.raises(ApplicationError, match="already has a primary rotation"):
        rotation_create(team=team, name="Another", kind=RotationKind.PRIMARY, start_date=dt.date(2026, 1, 5))
    secondary = rotation_create(team=team, name="Backup", kind=RotationKind.SECONDARY, start_date=dt.date(2026, 1, 5))
    assert secondary.shift_length == dt.timedelta(days=7) and secondary.handoff_time == dt.time(9, 0)


def test_the_guide_bounds_rotation_size(primary, people):
    assert rotation_size_warning(primary) is None
    rotation_member_remove(rotation=primary, user=people["pia"])
    assert "at least 4" in rotation_size_warning(primary)


def test_an_override_puts_someone_on_call(primary, people, mona):
    made = override_create(rotation=primary, user=people["sven"], start=utc(2026, 3, 10), end=utc(2026, 3, 11),
                           created_by=mona, reason="Paul at a conference")
    shift = shift_at(primary, utc(2026, 3, 10, 12))
    assert (shift.user, shift.source, shift.override_id) == (people["sven"], ShiftSource.OVERRIDE, made.pk)
    assert made.source == OverrideSource.MANUAL and made.created_by == mona


def test_an_override_checks_eligibility_blackouts_and_double_booking(team, primary, secondary, people, mona):
    rookie = responder(team, eligible=False)
    span = {"start": utc(2026, 3, 10), "end": utc(2026, 3, 11), "created_by": mona}
    with pytest.raises(ApplicationError, match="incident-response training"):
        override_create(rotation=primary, user=rookie, **span)
    BlackoutFactory(user=people["sara"], start=utc(2026, 3, 10, 12), end=utc(2026, 3, 12))
    with pytest.raises(ApplicationError, match=r"Sara Payments has a blackout \(vacation\) from 2026-03-10 12:00"):
        override_create(rotation=primary, user=people["sara"], **span)
    with pytest.raises(ApplicationError, match="Sven Payments is on call in Secondary.*primary and secondary at once"):
        override_create(rotation=primary, user=people["sven"], **span)
    with pytest.raises(ApplicationError, match="end in the future"):
        override_create(rotation=primary, user=people["sven"], start=utc(2026, 3, 1), end=utc(2026, 3, 2),
                        created_by=mona)


def test_blackouts_need_a_known_reason_and_a_real_span(people):
    with pytest.raises(ApplicationError, match="end after it starts"):
        blackout_create(user=people["pia"], start=utc(2026, 3, 10), end=utc(2026, 3, 10))
    with pytest.raises(ApplicationError, match="Reason must be one of"):
        blackout_create(user=people["pia"], start=utc(2026, 3, 10), end=utc(2026, 3, 11), reason="bored")
    made = blackout_create(user=people["pia"], start=utc(2026, 3, 10), end=utc(2026, 3, 11), reason="personal")
    assert made.get_reason_display() == "Personal circumstances"


def test_a_manager_resolves_a_conflict_with_the_proposed_member(primary, people, mona):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 12), end=utc(2026, 3, 14))
    made = shift_conflict_resolve(rotation=primary, shift_start=utc(2026, 3, 9, 8), actor=mona)
    assert (made.user, made.start, made.end) == (people["petra"], utc(2026, 3, 12), utc(2026, 3, 14))
    assert not any(s.conflicts for s in shifts(primary, utc(2026, 3, 9), utc(2026, 3, 16)))


def test_only_managers_and_leads_resolve_conflicts(primary, people):
    BlackoutFactory(user=people["paul"], start=utc(2026, 3, 12), end=utc(2026, 3, 14))
    with pytest.raises(PermissionDenied):
        shift_conflict_resolve(rotation=primary, shift_start=utc(2026, 3, 9, 8), actor=people["pia"])
    assert shift_conflict_resolve(rotation=primary, shift_start=utc(2026, 3, 9, 8), actor=people["lena"])


def test_resolving_needs_a_conflicted_shift(primary, mona):
    with pytest.raises(ApplicationError, match="no conflict"):
        shift_conflict_resolve(rotation=primary, shift_start=utc(2026, 3, 9, 8), actor=mona)
    with pytest.raises(ApplicationError, match="No shift of Primary starts at 2026-03-10 08:00"):
        shift_conflict_resolve(rotation=primary, shift_start=utc(2026, 3, 10, 8), actor=mona)


def test_rotating_the_calendar_token_replaces_it(primary):
    old = primary.calendar_token
    new = rotation_calendar_token_rotate(rotation=primary)
    primary.refresh_from_db()
    assert new != old and primary.calendar_token == new and len(new) >= 40
