import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a known IANA time zone (e.g. Europe/Berlin).") from exc


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    working_days = models.JSONField(
        default=default_working_days, help_text="Weekday numbers, Monday = 0 … Sunday = 6."
    )
    workday_starts = models.TimeField(default=dt.time(9, 0))
    workday_ends = models.TimeField(default=dt.time(17, 0))
    responders_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="responding_team", editable=False, null=True
    )
    viewers_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="viewing_team", editable=False, null=True
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Every team owns two permission groups; object permissions are granted to them.
        if self.responders_group_id is None:
            self.responders_group, _ = Group.objects.get_or_create(name=f"team:{self.slug}:responders")
        if self.viewers_group_id is None:
            self.viewers_group, _ = Group.objects.get_or_create(name=f"team:{self.slug}:viewers")
        super().save(*args, **kwargs)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self) -> None:
        days = self.working_days
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            raise ValidationError({"working_days": "Give weekday numbers from 0 (Monday) to 6 (Sunday)."})
        if not days:
            raise ValidationError({"working_days": "A team needs at least one working day."})
        if self.workday_starts >= self.workday_ends:
            raise ValidationError({"workday_ends": "The working day must end after it starts."})


class TeamRole(models.TextChoices):
    MANAGER = "manager", "Manager"
    LEAD = "lead", "Team lead"
    ENGINEER = "engineer", "Engineer"
    STAKEHOLDER = "stakeholder", "Stakeholder"


RESPONDER_ROLES = frozenset({TeamRole.MANAGER, TeamRole.LEAD, TeamRole.ENGINEER})


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.ENGINEER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_member")]
        ordering = ["team", "role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"

    @property
    def is_responder(self) -> bool:
        return self.role in RESPONDER_ROLES
