"""What the on-call API shows and accepts. Rules stay in oncall.services and oncall.schedule."""

import datetime as dt

from django.utils import timezone
from django.utils.duration import duration_iso_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import (
    ApiDateTimeField,
    IdField,
    InputSerializer,
    UsernameField,
    UserSerializer,
    WallClockTimeField,
)
from oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    Override,
    Rotation,
    RotationMember,
    SwapRequest,
    Team,
    TeamMembership,
)
from oncall.schedule import ShiftSource
from oncall.selectors import rotations_visible_to

MAX_SHIFT_WINDOW = dt.timedelta(days=92)


class IsoDurationField(serializers.DurationField):
    """Durations as ISO 8601 (`P7DT00H00M00S`)."""

    def to_representation(self, value):
        return duration_iso_string(value)


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSerializer()

    class Meta:
        model = TeamMembership
        fields = ["user", "role"]


class TeamSerializer(serializers.ModelSerializer):
    members = MembershipSerializer(source="memberships", many=True, read_only=True)
    workday_starts = WallClockTimeField(read_only=True, help_text="In the team's time zone.")
    workday_ends = WallClockTimeField(read_only=True, help_text="In the team's time zone.")

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "time_zone", "working_days", "workday_starts", "workday_ends", "members"]
        read_only_fields = fields


class RotationMemberSerializer(serializers.ModelSerializer):
    user = UserSerializer()

    class Meta:
        model = RotationMember
        fields = ["position", "user"]


class RotationSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    shift_length = IsoDurationField(read_only=True)
    handoff_time = WallClockTimeField(read_only=True, help_text="In the team's time zone.")
    members = RotationMemberSerializer(source="rotation_members", many=True, read_only=True)

    class Meta:
        model = Rotation
        fields = [
            "id", "team", "name", "kind", "shift_length", "handoff_weekday", "handoff_time", "start_date", "members",
        ]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField()


class ShiftSerializer(serializers.Serializer):
    user = UserSerializer()
    start = serializers.DateTimeField(help_text="The shift's true start, even before the window asked for.")
    end = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=ShiftSource.choices)
    override_id = serializers.IntegerField(allow_null=True)
    conflicts = ConflictSerializer(many=True, help_text="Blackouts of this person overlapping the shift.")


class ShiftWindowSerializer(serializers.Serializer):
    start = ApiDateTimeField(required=False, help_text="Default: now.")
    end = ApiDateTimeField(required=False, help_text="Default: start + 6 weeks (the published schedule).")

    def validate(self, data):
        start = data.get("start") or timezone.now()
        end = data.get("end") or start + dt.timedelta(weeks=6)
        if end <= start:
            raise serializers.ValidationError({"end": ["The window must end after it starts."]})
        if end - start > MAX_SHIFT_WINDOW:
            raise serializers.ValidationError({"end": [f"Ask for at most {MAX_SHIFT_WINDOW.days} days at a time."]})
        return {"start": start, "end": end}


class OnCallQuerySerializer(serializers.Serializer):
    team = serializers.SlugField(required=False, max_length=120, help_text="Team slug; default: all your teams.")
    at = ApiDateTimeField(required=False, help_text="Default: now.")


class SlotShiftSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=ShiftSource.choices)
    override_id = serializers.IntegerField(allow_null=True)


class SlotSerializer(serializers.Serializer):
    user = UserSerializer()
    shift = SlotShiftSerializer()


class OnCallSerializer(serializers.Serializer):
    team = serializers.CharField(help_text="Team slug.")
    team_name = serializers.CharField()
    at = serializers.DateTimeField()
    primary = SlotSerializer(allow_null=True)
    secondary = SlotSerializer(allow_null=True)


def on_call_data(team, on_call) -> dict:
    def slot(user, shift):
        return None if user is None else {"user": user, "shift": shift}

    return {
        "team": team.slug, "team_name": team.name, "at": on_call.at,
        "primary": slot(on_call.primary, on_call.primary_shift),
        "secondary": slot(on_call.secondary, on_call.secondary_shift),
    }


@extend_schema_field(OpenApiTypes.INT)
class _VisibleRotationField(IdField):
    def get_queryset(self):
        return rotations_visible_to(self.context["request"].user)


class OverrideSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="rotation.team.slug", read_only=True)
    user = UserSerializer(read_only=True)
    created_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Override
        fields = ["id", "rotation", "team", "user", "start", "end", "reason", "source", "swap", "created_by",
                  "created_at"]
        read_only_fields = fields


class OverrideInputSerializer(InputSerializer):
    rotation = _VisibleRotationField()
    user = UsernameField(help_text="Who covers the span.")
    start = ApiDateTimeField()
    end = ApiDateTimeField()
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class SwapRequestSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="rotation.team.slug", read_only=True)
    requester = UserSerializer(read_only=True)
    offered_to = UserSerializer(read_only=True, allow_null=True)
    accepted_by = UserSerializer(read_only=True, allow_null=True)
    decided_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SwapRequest
        fields = [
            "id", "rotation", "team", "requester", "start", "end", "offered_to", "accepted_by", "decided_by", "state",
            "note", "created_at", "accepted_at", "decided_at", "closed_at",
        ]
        read_only_fields = fields


class SwapRequestInputSerializer(InputSerializer):
    rotation = _VisibleRotationField()
    start = ApiDateTimeField(help_text="Start of the span you offer (you must be on call for all of it).")
    end = ApiDateTimeField()
    offered_to = UsernameField(required=False, allow_null=True, default=None,
                               help_text="Username; empty: anyone in the rotation may accept.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SwapActionSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EscalationLevelSerializer(serializers.ModelSerializer):
    delay = IsoDurationField(read_only=True, help_text="After the incident was detected (ISO 8601).")
    target_user = UserSerializer(read_only=True, allow_null=True)
    target_label = serializers.CharField(read_only=True)
    target_role = serializers.ChoiceField(
        choices=EscalationLevel._meta.get_field("target_role").choices, allow_blank=True, read_only=True,
        help_text="For team_role targets; empty otherwise.",
    )

    class Meta:
        model = EscalationLevel
        fields = ["position", "delay", "target_kind", "target_label", "target_rotation", "target_user", "target_role",
                  "only_severities"]
        read_only_fields = fields


class EscalationPolicySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    levels = EscalationLevelSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "team", "name", "is_default", "levels"]
        read_only_fields = fields
