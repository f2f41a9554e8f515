import factory
from django.contrib.auth import get_user_model

from oncall.models import Team, TeamRole
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
