import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from oncall.models.profile import new_feed_token
from oncall.models.team import Team, Weekday


class RotationKind(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class Rotation(models.Model):
    """A team's primary or secondary schedule: members take turns, one shift each, in position order.

    Shifts start at the hand-off weekday and wall-clock time in the team's time zone; see oncall.schedule.
    A team has at most one rotation of each kind, so "the primary" of a team is always well defined.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rotations")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=RotationKind.choices, default=RotationKind.PRIMARY)
    shift_length = models.DurationField(default=dt.timedelta(days=7))
    handoff_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    handoff_time = models.TimeField(default=dt.time(9, 0), help_text="Wall-clock time in the team's time zone.")
    start_date = models.DateField(help_text="The first hand-off is the first hand-off weekday on or after this.")
    calendar_token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RotationMember", related_name="rotations", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "kind"], name="one_rotation_per_kind_per_team"),
            models.UniqueConstraint(fields=["team", "name"], name="unique_rotation_name_per_team"),
            # Shorter shifts could vanish inside a DST gap; nobody rotates faster than hourly.
            models.CheckConstraint(condition=Q(shift_length__gte=dt.timedelta(hours=1)), name="shift_at_least_1h"),
            models.CheckConstraint(condition=Q(handoff_weekday__lte=6), name="handoff_weekday_0_to_6"),
        ]

    def __str__(self) -> str:
        return f"{self.team} — {self.name}"


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="rotation_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rotation_memberships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "position"], name="unique_rotation_position"),
            models.UniqueConstraint(fields=["rotation", "user"], name="unique_rotation_member"),
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.user} in {self.rotation}"


class OverrideSource(models.TextChoices):
    MANUAL = "manual", "Set by a manager"
    SWAP = "swap", "Approved swap"


class Override(models.Model):
    """Someone else covers part of a rotation. Overrides beat the rotation; a later override beats an earlier one."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_overrides")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=16, choices=OverrideSource.choices, default=OverrideSource.MANUAL)
    # RESTRICT: a swap that made an override stays, unless its rotation goes and takes both with it.
    swap = models.OneToOneField(
        "oncall.SwapRequest", null=True, blank=True, on_delete=models.RESTRICT, related_name="override"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rotation", "start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="override_ends_after_start"),
            models.CheckConstraint(
                condition=Q(source=OverrideSource.SWAP, swap__isnull=False)
                | (~Q(source=OverrideSource.SWAP) & Q(swap__isnull=True)),
                name="override_swap_iff_source_swap",
            ),
        ]
        indexes = [models.Index(fields=["rotation", "start", "end"], name="override_rotation_span")]

    def __str__(self) -> str:
        return f"{self.user} covers {self.rotation} from {self.start:%Y-%m-%d %H:%M} UTC"


class BlackoutReason(models.TextChoices):
    VACATION = "vacation", "Vacation"
    PERSONAL = "personal", "Personal circumstances"
    PROJECT_DEADLINE = "project_deadline", "Project deadline (pre-approved)"


class Blackout(models.Model):
    """A time someone cannot be on call (the guide's opt-out reasons). A shift overlapping it is a conflict."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_blackouts")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=24, choices=BlackoutReason.choices, default=BlackoutReason.VACATION)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="blackout_ends_after_start")]
        indexes = [models.Index(fields=["user", "start", "end"], name="blackout_user_span")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_reason_display()} {self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"
