"""Noise review of integrations' alert streams in the API: `GET/POST /api/v1/integration-verdicts/`. The verdict on
one incident is `POST /api/v1/incidents/{id}/verdict/` (incidents.api.views)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.api.serializers import IdField, InputSerializer, UserSerializer, validated
from incidents.models import IntegrationVerdict, NoiseVerdict
from incidents.models.noise import REASON_MAX_LENGTH
from incidents.noise_selectors import integration_verdicts_visible_to, integrations_visible_to
from incidents.services.noise import integration_set_verdict


class IntegrationVerdictSerializer(serializers.ModelSerializer):
    integration_name = serializers.CharField(source="integration.name", read_only=True)
    service = serializers.CharField(source="integration.service.slug", read_only=True)
    actor = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = IntegrationVerdict
        fields = ["id", "integration", "integration_name", "service", "verdict", "reason", "actor", "at"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class _IntegrationField(IdField):
    def get_queryset(self):
        return integrations_visible_to(self.context["request"].user)


class IntegrationVerdictInput(InputSerializer):
    integration = _IntegrationField()
    verdict = serializers.ChoiceField(choices=NoiseVerdict.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH)


@extend_schema(tags=["incidents"])
@extend_schema_view(list=extend_schema(summary="List verdicts on integrations' alert streams, newest first"))
class IntegrationVerdictViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = IntegrationVerdictSerializer
    orderings = {"-at": ("-at", "-id")}

    def get_queryset(self):
        qs = integration_verdicts_visible_to(self.request.user).select_related("integration__service", "actor")
        integration = self.request.query_params.get("integration", "")
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500).
        if integration.isascii() and integration.isdigit():
            qs = qs.filter(integration_id=int(integration))
        return qs.order_by("-at", "-id")

    @extend_schema(summary="Mark an integration's alert stream actionable, noisy or false_alarm",
                   description="Responders of the integration's team; other teams' integrations are a 400 "
                   "(no such integration).",
                   request=IntegrationVerdictInput, responses={201: IntegrationVerdictSerializer})
    def create(self, request):
        data = validated(IntegrationVerdictInput, request)
        verdict = integration_set_verdict(user=request.user, **data)
        return Response(IntegrationVerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)
