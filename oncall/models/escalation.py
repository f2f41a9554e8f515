import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from oncall.models.rotation import Rotation, RotationKind
from oncall.models.team import Team, TeamRole


class EscalationTarget(models.TextChoices):
    PRIMARY = "primary", "Primary on-call"
    SECONDARY = "secondary", "Secondary on-call"
    USER = "user", "A named person"
    TEAM_ROLE = "team_role", "Everyone with a team role"
    LEADERSHIP = "leadership", "Leadership (profiles flagged “leadership”)"


ESCALATION_ROLES = (TeamRole.LEAD, TeamRole.MANAGER)
ROTATION_TARGETS = {EscalationTarget.PRIMARY: RotationKind.PRIMARY, EscalationTarget.SECONDARY: RotationKind.SECONDARY}


class EscalationPolicy(models.Model):
    """Who is paged, and when, while an incident stays unacknowledged.

    Incidents freeze `snapshot()` when they are declared, so editing a policy never changes the
    escalation of an incident already in flight.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False, help_text="Used for the team's services that name no policy.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "escalation policies"
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="unique_policy_name_per_team"),
            models.UniqueConstraint(fields=["team"], condition=Q(is_default=True), name="one_default_policy_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.name}"

    def snapshot(self) -> list[dict]:
        """The levels as plain JSON data, with the rotation each on-call target means resolved now."""
        rotations = {r.kind: r.pk for r in Rotation.objects.filter(team_id=self.team_id)}
        levels = self.levels.select_related("target_rotation", "target_user").order_by("position")
        return [level.as_snapshot(team_rotations=rotations) for level in levels]


class EscalationLevel(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()
    delay = models.DurationField(help_text="After the incident was detected.")
    target_kind = models.CharField(max_length=16, choices=EscalationTarget.choices)
    # RESTRICT, not PROTECT: deleting a whole team (rotations and policies together) must still work.
    target_rotation = models.ForeignKey(
        Rotation, null=True, blank=True, on_delete=models.RESTRICT, related_name="+",
        help_text="For on-call targets: blank means the policy team's rotation of that kind.",
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_role = models.CharField(
        max_length=16, blank=True, choices=[(r.value, r.label) for r in ESCALATION_ROLES]
    )
    only_severities = models.JSONField(
        default=list, blank=True, help_text='Severity codes, e.g. ["P1"]; empty means every severity.'
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="unique_escalation_position"),
            models.CheckConstraint(condition=Q(delay__gte=dt.timedelta(0)), name="escalation_delay_not_negative"),
            models.CheckConstraint(
                condition=(Q(target_kind=EscalationTarget.USER) & Q(target_user__isnull=False))
                | (~Q(target_kind=EscalationTarget.USER) & Q(target_user__isnull=True)),
                name="escalation_user_iff_user_target",
            ),
            models.CheckConstraint(
                condition=(Q(target_kind=EscalationTarget.TEAM_ROLE) & Q(target_role__in=ESCALATION_ROLES))
                | (~Q(target_kind=EscalationTarget.TEAM_ROLE) & Q(target_role="")),
                name="escalation_role_iff_role_target",
            ),
            models.CheckConstraint(
                condition=Q(target_rotation__isnull=True) | Q(target_kind__in=list(ROTATION_TARGETS)),
                name="escalation_rotation_only_for_oncall_targets",
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.position}: {self.target_label} after {self.delay}"

    @property
    def target_label(self) -> str:
        if self.target_kind == EscalationTarget.USER and self.target_user_id:
            return self.target_user.get_full_name() or self.target_user.get_username()
        if self.target_kind == EscalationTarget.TEAM_ROLE:
            return f"Team {TeamRole(self.target_role).label.lower()}" if self.target_role else "Team role"
        label = self.get_target_kind_display()
        if self.target_rotation_id:
            label = f"{label} ({self.target_rotation})"
        return label

    def clean(self) -> None:
        severities = self.only_severities
        if not isinstance(severities, list) or not all(isinstance(s, str) and s for s in severities):
            raise ValidationError({"only_severities": 'Give a list of severity codes such as ["P1"], or [].'})
        wanted = ROTATION_TARGETS.get(self.target_kind)
        if self.target_rotation_id and wanted and self.target_rotation.kind != wanted:
            raise ValidationError({"target_rotation": f"Choose a {wanted.label.lower()} rotation."})
        if self.target_kind == EscalationTarget.USER and not self.target_user_id:
            raise ValidationError({"target_user": "Choose the person to page."})
        if self.target_kind == EscalationTarget.TEAM_ROLE and self.target_role not in ESCALATION_ROLES:
            raise ValidationError({"target_role": "Choose lead or manager."})

    def as_snapshot(self, *, team_rotations: dict[str, int]) -> dict:
        rotation_id = self.target_rotation_id
        if rotation_id is None and self.target_kind in ROTATION_TARGETS:
            rotation_id = team_rotations.get(ROTATION_TARGETS[self.target_kind])
        return {
            "position": self.position,
            "delay_seconds": int(self.delay.total_seconds()),
            "target_kind": self.target_kind,
            "target_label": self.target_label,
            "team_id": self.policy.team_id,
            "rotation_id": rotation_id,
            "user_id": self.target_user_id,
            "role": self.target_role,
            "only_severities": list(self.only_severities or []),
        }
