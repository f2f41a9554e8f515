"""Maintenance windows in the API (`/api/v1/maintenance-windows/`): everyone sees their teams' windows (other
teams' are 404); the team's responders plan, change and delete them. Rules live in
incidents.services.maintenance (403 for stakeholders, 400 for a window that ends before it starts)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.api.serializers import ApiDateTimeField, InputSerializer, UserSerializer, validated
from config.errors import ApplicationError
from incidents.api.serializers import ServiceSerializer, VisibleServiceField, VisibleTeamField
from incidents.maintenance_selectors import maintenance_windows_visible_to, service_maintenance
from incidents.models import MaintenanceWindow, Recurrence, Service
from incidents.services import maintenance as mw
from oncall.models.team import validate_time_zone


class OccurrenceSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class MaintenanceOccurrenceSerializer(OccurrenceSerializer):
    window = serializers.IntegerField(source="window.pk")
    reason = serializers.CharField(source="window.reason")


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True,
                                           help_text="Empty: every service of the team.")
    time_zone = serializers.SerializerMethodField(help_text="The zone a weekly window repeats in.")
    in_progress = serializers.SerializerMethodField()
    next_occurrences = serializers.SerializerMethodField(help_text="In progress or ahead, at most three.")
    created_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id", "team", "service", "reason", "starts_at", "ends_at", "recurrence", "time_zone", "repeat_until",
            "in_progress", "next_occurrences", "created_by", "created_at",
        ]
        read_only_fields = fields

    def _upcoming(self, window):
        if not hasattr(window, "_upcoming"):
            window._upcoming = window.upcoming(after=timezone.now(), count=3)
        return window._upcoming

    def get_time_zone(self, window) -> str:
        return window.time_zone or window.team.time_zone

    def get_in_progress(self, window) -> bool:
        upcoming = self._upcoming(window)
        return bool(upcoming) and upcoming[0].covers(timezone.now())

    @extend_schema_field(OccurrenceSerializer(many=True))
    def get_next_occurrences(self, window) -> list:
        return OccurrenceSerializer(self._upcoming(window), many=True).data


class _WindowInput(InputSerializer):
    service = VisibleServiceField(allow_null=True, required=False, help_text="A service's slug; empty: all services.")
    reason = serializers.CharField(max_length=200)
    starts_at = ApiDateTimeField()
    ends_at = ApiDateTimeField()
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, required=False, default=Recurrence.ONCE)
    time_zone = serializers.CharField(max_length=64, allow_blank=True, required=False, default="",
                                      validators=[validate_time_zone],
                                      help_text="IANA zone a weekly window repeats in; empty: the team's.")
    repeat_until = serializers.DateField(allow_null=True, required=False, default=None)


class MaintenanceWindowCreateSerializer(_WindowInput):
    team = VisibleTeamField(required=False, help_text="The team's slug; may be left out when a service is given.")

    def validate(self, data):
        service, team = data.get("service"), data.get("team")
        if team is None and service is None:
            raise serializers.ValidationError({"team": ["Give a team or a service."]})
        if team is None:
            data["team"] = service.team
        return data


class MaintenanceWindowUpdateSerializer(_WindowInput):
    pass


class _ListQuery(serializers.Serializer):
    # Checked before they reach the database: a NUL byte in a query string would make PostgreSQL fail (500).
    team = serializers.CharField(required=False, allow_blank=True, max_length=120)
    service = serializers.CharField(required=False, allow_blank=True, max_length=120)


TEAM = OpenApiParameter("team", str, description="Only this team's windows (slug).")
SERVICE = OpenApiParameter("service", str, description="Only windows that apply to this service (slug).")


@extend_schema(tags=["services"])
@extend_schema_view(
    list=extend_schema(summary="List maintenance windows", parameters=[TEAM, SERVICE]),
    retrieve=extend_schema(summary="Get a maintenance window"),
)
class MaintenanceWindowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MaintenanceWindowSerializer
    lookup_value_regex = "[0-9]+"
    orderings = {"id": ("id",), "starts_at": ("starts_at", "id")}

    def get_queryset(self):
        qs = maintenance_windows_visible_to(self.request.user)
        query = _ListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        team = query.validated_data.get("team")
        if team:
            qs = qs.filter(team__slug=team)
        service = query.validated_data.get("service")
        if service:
            teams = Service.objects.filter(slug=service).values("team_id")
            qs = qs.filter(Q(service__slug=service) | Q(service__isnull=True, team__in=teams))
        return qs.order_by("id")

    def get_object(self):
        return get_object_or_404(maintenance_windows_visible_to(self.request.user), pk=self.kwargs["pk"])

    @extend_schema(summary="Plan a maintenance window",
                   description="The team's responders. One-off, or weekly at the same local times (DST-correct).",
                   request=MaintenanceWindowCreateSerializer, responses={201: MaintenanceWindowSerializer})
    def create(self, request):
        data = dict(validated(MaintenanceWindowCreateSerializer, request))
        service = data.get("service")
        if service is not None and service.team_id != data["team"].pk:
            raise ApplicationError("Choose one of the team's services.", field="service")
        window = mw.maintenance_window_create(user=request.user, **data)
        return Response(MaintenanceWindowSerializer(window).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a maintenance window", description="The team's responders.",
                   request=MaintenanceWindowUpdateSerializer, responses=MaintenanceWindowSerializer)
    def partial_update(self, request, pk=None):
        window = self.get_object()
        data = validated(MaintenanceWindowUpdateSerializer, request, partial=True)
        window = mw.maintenance_window_update(user=request.user, window=window, **data)
        return Response(MaintenanceWindowSerializer(window).data)

    @extend_schema(summary="Delete a maintenance window",
                   description="The team's responders. Incidents it holds start paging again from level 1.",
                   responses={204: None})
    def destroy(self, request, pk=None):
        window = self.get_object()
        mw.maintenance_window_delete(user=request.user, window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ServiceMaintenanceSerializer(serializers.Serializer):
    in_progress = serializers.SerializerMethodField()
    upcoming = serializers.SerializerMethodField()

    @extend_schema_field(MaintenanceOccurrenceSerializer(allow_null=True))
    def get_in_progress(self, info) -> dict | None:
        occ = info["current"]
        return MaintenanceOccurrenceSerializer(occ).data if occ else None

    @extend_schema_field(MaintenanceOccurrenceSerializer(many=True))
    def get_upcoming(self, info) -> list:
        return MaintenanceOccurrenceSerializer(info["upcoming"], many=True).data


def service_maintenance_data(service) -> dict:
    """The `maintenance` part of GET /services/{slug}/: the occurrence in progress and the next ones."""
    return _ServiceMaintenanceSerializer(service_maintenance(service, now=timezone.now())).data


class ServiceDetailSerializer(ServiceSerializer):
    maintenance = serializers.SerializerMethodField(help_text="The maintenance window in progress and the next ones.")

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "maintenance"]
        read_only_fields = fields

    @extend_schema_field(_ServiceMaintenanceSerializer)
    def get_maintenance(self, service) -> dict:
        return service_maintenance_data(service)
