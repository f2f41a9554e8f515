"""What the incident API shows (output serializers) and accepts (input serializers: exactly the writable
fields; anything else is refused). Rules stay in incidents.services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import (
    ApiDateTimeField,
    IdField,
    InputSerializer,
    SlugField,
    UsernameField,
    UserSerializer,
)
from incidents.models import (
    Incident,
    IncidentRole,
    PagingHours,
    RoleAssignment,
    Service,
    Severity,
    StatusUpdate,
    TimelineEntry,
    UpdateAudience,
)
from incidents.models.noise import REASON_MAX_LENGTH, NoiseVerdict
from incidents.selectors import services_visible_to
from oncall.models import EscalationPolicy
from oncall.selectors import teams_of


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    team = serializers.CharField(source="service.team.slug", read_only=True)
    declared_by = UserSerializer(read_only=True, allow_null=True)
    acknowledged_by = UserSerializer(read_only=True, allow_null=True)
    noise_verdict = serializers.ChoiceField(choices=NoiseVerdict.choices, allow_blank=True, read_only=True,
                                            help_text="The noise review's verdict; empty until one is given.")
    in_maintenance = serializers.SerializerMethodField(
        help_text="A maintenance window holds its paging until paging_held_until (then level 1 again)."
    )

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "title", "description", "service", "service_name", "team", "severity", "state",
            "source", "dedup_key", "war_room", "impact_started_at", "detected_at", "acknowledged_at",
            "acknowledged_by", "investigating_at", "identified_at", "resolving_at", "resolved_at", "closed_at",
            "ack_deadline", "ack_breached_at", "next_update_due_at", "resolution_summary", "false_alarm",
            "noise_verdict", "noise_reason", "noise_verdict_at", "declared_by", "updated_at",
            "paging_deferred_until", "in_maintenance", "paging_held_until", "maintenance_window",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_in_maintenance(self, incident) -> bool:
        return incident.paging_held_until is not None


class IncidentActionSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="POST /api/v1/incidents/{id}/{action}/ to take it.")
    ready = serializers.BooleanField(help_text="False: allowed from this state but a condition is unmet.")


class ActiveRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=IncidentRole.choices)
    user = UserSerializer()


class IncidentDetailSerializer(IncidentSerializer):
    roles = ActiveRoleSerializer(many=True, read_only=True, help_text="Who holds which role now.")
    actions = IncidentActionSerializer(many=True, read_only=True, help_text="Lifecycle actions open to you now.")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "roles", "actions"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.STR)
class VisibleServiceField(SlugField):
    """A service by slug, among those the user can see (others do not exist for them)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        return services_visible_to(self.context["request"].user)


class DeclareSerializer(InputSerializer):
    service = VisibleServiceField()
    title = serializers.CharField(max_length=255)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.P3)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    dedup_key = serializers.CharField(
        max_length=255, required=False, allow_null=True, allow_blank=True, default=None,
        help_text="An open incident on the same service with this key takes the alert instead (answer 200).",
    )
    impact_started_at = ApiDateTimeField(required=False, allow_null=True, default=None)
    war_room = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class IncidentUpdateSerializer(InputSerializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(allow_blank=True)
    war_room = serializers.CharField(max_length=120, allow_blank=True)
    impact_started_at = ApiDateTimeField(allow_null=True)
    false_alarm = serializers.BooleanField()
    resolution_summary = serializers.CharField(allow_blank=True)
    service = VisibleServiceField(help_text="Move the incident to another service.")
    severity = serializers.ChoiceField(choices=Severity.choices)


class TransitionSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ResolveSerializer(TransitionSerializer):
    false_alarm = serializers.BooleanField(required=False, allow_null=True, default=None)


class VerdictSerializer(InputSerializer):
    verdict = serializers.ChoiceField(choices=NoiseVerdict.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH)


class CloseSerializer(TransitionSerializer):
    resolution_summary = serializers.CharField(required=False, allow_null=True, default=None)


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "actor", "at", "from_state", "to_state", "note", "data"]
        read_only_fields = fields


class StatusUpdateSerializer(serializers.ModelSerializer):
    posted_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StatusUpdate
        fields = ["id", "audience", "body", "state", "posted_by", "posted_at"]
        read_only_fields = fields


class StatusUpdateInputSerializer(InputSerializer):
    body = serializers.CharField()
    audience = serializers.ChoiceField(choices=UpdateAudience.choices, default=UpdateAudience.INTERNAL)


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    assigned_by = UserSerializer(read_only=True, allow_null=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "user", "assigned_by", "assigned_at", "relieved_at", "active"]
        read_only_fields = fields

    def get_active(self, assignment) -> bool:
        return assignment.relieved_at is None


class RoleAssignmentInputSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=IncidentRole.choices)
    assignee = UsernameField(help_text="Username of any active user; people from other teams get access.")


class ServiceSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    runbook_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")

    class Meta:
        model = Service
        fields = [
            "id", "slug", "name", "team", "description", "runbook", "runbook_url", "runbook_reviewed_at",
            "escalation_policy", "paging_hours", "is_active", "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class _TeamPolicyField(IdField):
    def get_queryset(self):
        return EscalationPolicy.objects.filter(team__in=teams_of(self.context["request"].user))


@extend_schema_field(OpenApiTypes.STR)
class VisibleTeamField(SlugField):
    """A team by slug, among the user's teams."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        return teams_of(self.context["request"].user)


class ServiceUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    team = VisibleTeamField(help_text="Move the service (and access to its incidents) to another team you manage.")
    description = serializers.CharField(allow_blank=True)
    runbook = serializers.CharField(allow_blank=True, help_text="Markdown.")
    runbook_url = serializers.URLField(allow_blank=True, max_length=200)
    runbook_reviewed_at = ApiDateTimeField(allow_null=True)
    escalation_policy = _TeamPolicyField(allow_null=True, help_text="Empty: the owning team's default policy.")
    paging_hours = serializers.ChoiceField(
        choices=PagingHours.choices, help_text="always: P3/P4 page at any hour too (24/7 for every severity)."
    )
    is_active = serializers.BooleanField()


class ServiceCreateSerializer(ServiceUpdateSerializer):
    slug = serializers.SlugField(max_length=120)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    runbook = serializers.CharField(allow_blank=True, required=False, default="", help_text="Markdown.")
    runbook_url = serializers.URLField(allow_blank=True, required=False, default="", max_length=200)
    runbook_reviewed_at = ApiDateTimeField(allow_null=True, required=False, default=None)
    escalation_policy = _TeamPolicyField(
        allow_null=True, required=False, default=None, help_text="Empty: the owning team's default policy."
    )
    paging_hours = serializers.ChoiceField(choices=PagingHours.choices, required=False, default=PagingHours.POLICY)
    is_active = serializers.BooleanField(required=False, default=True)
