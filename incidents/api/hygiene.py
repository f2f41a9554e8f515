"""GET /api/v1/alert-hygiene/: the weekly alert hygiene review (incidents.metrics.hygiene) of the caller's teams,
the same figures as `manage.py alert_hygiene_report` and the managers' page. Shares are fractions (0.4 = 40 %)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers as S
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.metrics import insight_teams
from incidents.metrics.hygiene import alert_hygiene, hygiene_scope, parse_week
from incidents.models import NoiseVerdict


class HygieneQuerySerializer(S.Serializer):
    week = S.CharField(required=False, max_length=20, allow_blank=True,
                       help_text="2026-W11 or a date in the week; default: the last complete week.")
    team = S.SlugField(required=False, max_length=120, help_text="Team slug; default: all your teams.")


class HygieneFlagSerializer(S.Serializer):
    code = S.ChoiceField(choices=["alerts", "false_positives", "after_hours", "stream_verdict"])
    advice = S.CharField()


class HygieneSourceSerializer(S.Serializer):
    kind = S.ChoiceField(choices=["integration", "service"])
    id = S.IntegerField(source="pk")
    key = S.CharField(help_text="integration:<id> or service:<id>")
    name = S.CharField()
    service = S.CharField(source="service_name")
    team = S.CharField(source="team_slug")
    alerts = S.IntegerField()
    incidents = S.IntegerField()
    false_alarms = S.IntegerField()
    false_positive_share = S.FloatField(allow_null=True)
    noisy = S.IntegerField()
    noisy_share = S.FloatField(allow_null=True)
    after_hours_pages = S.IntegerField()
    stream_verdict = S.ChoiceField(choices=NoiseVerdict.choices, allow_blank=True,
                                   help_text="An integration's latest verdict on its alert stream.")
    flagged = S.BooleanField()
    flags = HygieneFlagSerializer(many=True)


class HygieneTopSourceSerializer(S.Serializer):
    source = S.CharField()
    integration = S.CharField()
    service = S.CharField()
    alerts = S.IntegerField()
    noise_alerts = S.IntegerField(help_text="Alerts on false alarms or noisy incidents.")


class HygieneReportSerializer(S.Serializer):
    week = S.CharField(source="iso_week")
    since = S.DateTimeField()
    until = S.DateTimeField()
    integrations = HygieneSourceSerializer(many=True)
    services = HygieneSourceSerializer(many=True)
    top_sources = HygieneTopSourceSerializer(many=True)


class AlertHygieneView(APIView):
    extra_error_statuses = ("404",)  # a team that is not yours

    @extend_schema(
        tags=["metrics"],
        summary="The weekly alert hygiene review",
        description="Per integration and per service: alerts, incidents, false-positive and noisy shares, after-hours "
        "pages; sources over the guide's thresholds (> 20 alerts, > 20 % false positives, > 5 after-hours pages a "
        "week, or a stream marked noisy) flagged with its advice. 400 for a bad week, 404 for a team not yours.",
        parameters=[HygieneQuerySerializer],
        responses=HygieneReportSerializer,
    )
    def get(self, request):
        query = HygieneQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        scope = hygiene_scope(teams=insight_teams(request.user), team=data.get("team") or None,
                              week=parse_week(data.get("week", "")))
        return Response(HygieneReportSerializer(alert_hygiene(scope)).data)
