import datetime as dt

import factory
from django.contrib.auth import get_user_model

from oncall.models import (
    Blackout,
    BlackoutReason,
    OnCallProfile,
    Rotation,
    RotationKind,
    RotationMember,
    Team,
    TeamRole,
    Weekday,
)
from oncall.services import team_member_set

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    time_zone = "UTC"


def member(team: Team, role: str = TeamRole.ENGINEER, **user_fields):
    """A user who belongs to `team` with `role` (groups synced as in production)."""
    user = UserFactory(**user_fields)
    team_member_set(team=team, user=user, role=role)
    user.refresh_from_db()
    return user


# --- on-call: profiles, rotations, blackouts -------------------------------------------------------

ONBOARDED_LONG_AGO = dt.date(2020, 1, 6)


class OnCallProfileFactory(factory.django.DjangoModelFactory):
    """An eligible profile by default (all of the guide's requirements met)."""

    class Meta:
        model = OnCallProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    onboarded_on = ONBOARDED_LONG_AGO
    shadow_shifts_completed = 2
    training_completed = True
    production_access = True


def responder(team: Team, role: str = TeamRole.ENGINEER, *, eligible: bool = True, **user_fields):
    """A team member with an on-call profile; eligible unless told otherwise."""
    user = member(team, role, **user_fields)
    if eligible:
        OnCallProfileFactory(user=user)
    else:
        OnCallProfileFactory(
            user=user, onboarded_on=None, shadow_shifts_completed=0, training_completed=False, production_access=False
        )
    return user


class RotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rotation

    team = factory.SubFactory(TeamFactory)
    name = factory.LazyAttribute(lambda r: f"{r.team.name} {r.kind}")
    kind = RotationKind.PRIMARY
    start_date = dt.date(2026, 1, 5)  # a Monday
    shift_length = dt.timedelta(days=7)
    handoff_weekday = Weekday.MONDAY
    handoff_time = dt.time(9, 0)


def rotation_with(team: Team, users, **fields) -> Rotation:
    """A rotation whose members are `users` in that order (written directly: no eligibility check)."""
    rotation = RotationFactory(team=team, **fields)
    for position, user in enumerate(users):
        RotationMember.objects.create(rotation=rotation, user=user, position=position)
    return rotation


class BlackoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Blackout

    user = factory.SubFactory(UserFactory)
    start = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    end = dt.datetime(2026, 3, 12, tzinfo=dt.UTC)
    reason = BlackoutReason.VACATION
