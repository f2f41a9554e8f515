"""Heartbeat monitors in the API (`/api/v1/heartbeats/`): everyone sees their teams' monitors (other teams' are
404); the team's managers create, edit (pause with {"paused": true}), delete them and rotate keys. The ping key is
in the answer of create and rotate-key only (its hash is stored)."""

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.serializers import InputSerializer, validated
from incidents.api.serializers import VisibleServiceField
from incidents.models import HeartbeatMonitor, Severity
from incidents.selectors import services_visible_to
from incidents.services import heartbeats as hb

SECONDS = {"min_value": 30, "max_value": 31 * 24 * 3600}


class HeartbeatSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    team = serializers.CharField(source="service.team.slug", read_only=True)
    interval_seconds = serializers.SerializerMethodField()
    grace_seconds = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text="up, waiting (no ping yet), missed, paused, inactive")

    class Meta:
        model = HeartbeatMonitor
        fields = [
            "id", "service", "team", "name", "interval_seconds", "grace_seconds", "severity", "paused", "is_active",
            "status", "key_prefix", "last_ping_at", "pings_received", "next_due_at", "incident", "created_at",
            "key_rotated_at",
        ]
        read_only_fields = fields

    def get_interval_seconds(self, monitor) -> int:
        return int(monitor.interval.total_seconds())

    def get_grace_seconds(self, monitor) -> int:
        return int(monitor.grace.total_seconds())


class HeartbeatWithKeySerializer(HeartbeatSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once: only its hash is stored.")
    ping_url = serializers.CharField(read_only=True)

    class Meta(HeartbeatSerializer.Meta):
        fields = [*HeartbeatSerializer.Meta.fields, "key", "ping_url"]
        read_only_fields = fields


class HeartbeatCreateSerializer(InputSerializer):
    service = VisibleServiceField()
    name = serializers.CharField(max_length=120)
    interval_seconds = serializers.IntegerField(**SECONDS)
    grace_seconds = serializers.IntegerField(required=False, default=60, min_value=0, max_value=SECONDS["max_value"])
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.P3)
    paused = serializers.BooleanField(required=False, default=False)


class HeartbeatUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    interval_seconds = serializers.IntegerField(required=False, **SECONDS)
    grace_seconds = serializers.IntegerField(required=False, min_value=0, max_value=SECONDS["max_value"])
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    paused = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class _ListQuery(serializers.Serializer):
    # Checked before it reaches the database: a NUL byte in a query string would make PostgreSQL fail (500).
    service = serializers.CharField(required=False, allow_blank=True, max_length=120)


def _durations(data: dict) -> dict:
    data = dict(data)
    for name in ("interval", "grace"):
        if f"{name}_seconds" in data:
            data[name] = dt.timedelta(seconds=data.pop(f"{name}_seconds"))
    return data


def _with_key(monitor: HeartbeatMonitor, key: str) -> dict:
    monitor.key, monitor.ping_url = key, hb.heartbeat_url(key)
    return HeartbeatWithKeySerializer(monitor).data


@extend_schema(tags=["services"])
@extend_schema_view(
    list=extend_schema(summary="List heartbeat monitors"),
    retrieve=extend_schema(summary="Get a heartbeat monitor"),
)
class HeartbeatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = HeartbeatSerializer
    lookup_value_regex = "[0-9]+"
    orderings = {"id": ("id",)}

    def get_queryset(self):
        qs = HeartbeatMonitor.objects.filter(service__in=services_visible_to(self.request.user).values("pk"))
        query = _ListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        service = query.validated_data.get("service")
        if service:
            qs = qs.filter(service__slug=service)
        return qs.select_related("service__team").order_by("id")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    @extend_schema(summary="Create a heartbeat monitor", description="Managers of the service's team only. "
                   "The answer holds the ping key and URL, shown once.",
                   request=HeartbeatCreateSerializer, responses={201: HeartbeatWithKeySerializer})
    def create(self, request):
        data = _durations(validated(HeartbeatCreateSerializer, request))
        monitor, key = hb.heartbeat_create(user=request.user, **data)
        return Response(_with_key(monitor, key), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Edit, pause or resume a heartbeat monitor", description="Managers only.",
                   request=HeartbeatUpdateSerializer, responses=HeartbeatSerializer)
    def partial_update(self, request, pk=None):
        monitor = self.get_object()
        data = _durations(validated(HeartbeatUpdateSerializer, request, partial=True))
        monitor = hb.heartbeat_update(user=request.user, monitor=monitor, **data)
        return Response(HeartbeatSerializer(self.get_object()).data)

    @extend_schema(summary="Delete a heartbeat monitor", description="Managers only.", responses={204: None})
    def destroy(self, request, pk=None):
        hb.heartbeat_delete(user=request.user, monitor=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Give the monitor a new ping key", description="The old key stops working at once.",
                   request=inline_serializer("RotateHeartbeatKey", {}), responses=HeartbeatWithKeySerializer)
    @action(detail=True, methods=["post"], url_path="rotate-key")
    def rotate_key(self, request, pk=None):
        monitor, key = hb.heartbeat_rotate_key(user=request.user, monitor=self.get_object())
        return Response(_with_key(monitor, key))
