"""GET /api/v1/metrics/: the guide's metrics for the caller's teams (incidents.metrics), with the query's window
and filters validated (400) and teams or services the caller cannot see answered 404. Durations in seconds,
MTBF in hours, shares as fractions (0.9 = 90 %); weeks are ISO weeks in UTC, named by their Monday."""

import datetime as dt

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.serializers import ApiDateTimeField
from incidents.metrics import insight_teams, metric_scope, metrics_all
from incidents.metrics.scope import DEFAULT_WINDOW, MAX_WINDOW
from incidents.models import Severity

S = serializers


# --- the query ---------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "example": "2026-03-01",
                      "description": "A date (midnight UTC) or an ISO 8601 date-time with an offset."})
class DateOrDateTimeField(ApiDateTimeField):
    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) == 10:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD or an ISO 8601 date-time")
            if not 1970 <= day.year <= 2999:
                self.fail("out_of_range")
            return day
        return super().to_internal_value(value)


class MetricsQuerySerializer(S.Serializer):
    team = S.SlugField(required=False, max_length=120, help_text="Team slug; default: all your teams.")
    service = S.SlugField(required=False, max_length=120, help_text="Service slug (of one of your teams).")
    severity = S.ChoiceField(choices=Severity.choices, required=False)
    since = DateOrDateTimeField(required=False, help_text=f"Start (included); default: until − {DEFAULT_WINDOW.days} "
                                f"days.")
    until = DateOrDateTimeField(required=False, help_text=f"End (not included); default: now. At most "
                                f"{MAX_WINDOW.days} days after since.")


# --- the answer --------------------------------------------------------------------------------------------------

def _float(**kwargs):
    return S.FloatField(allow_null=True, **kwargs)


class MetricsDurationSerializer(S.Serializer):
    mean = _float()
    median = _float()
    p90 = _float()
    count = S.IntegerField(help_text="Incidents with this duration (the others are left out).")


class MetricsAckSlaSerializer(S.Serializer):
    met = S.IntegerField()
    decided = S.IntegerField(help_text="Acknowledged or resolved, or past the deadline.")
    share = _float()


class MetricsResponseRowSerializer(S.Serializer):
    incidents = S.IntegerField()
    false_alarms = S.IntegerField()
    open = S.IntegerField()
    mtta = MetricsDurationSerializer(help_text="Detected → acknowledged, seconds.")
    mtti = MetricsDurationSerializer(help_text="Acknowledged → identified, seconds; no false alarms.")
    mttr = MetricsDurationSerializer(help_text="Detected → resolved, seconds; resolved incidents, no false alarms.")
    ack_sla = MetricsAckSlaSerializer()


class MetricsSeverityRowSerializer(MetricsResponseRowSerializer):
    severity = S.ChoiceField(choices=Severity.choices)


class MetricsTeamRowSerializer(MetricsResponseRowSerializer):
    team_slug = S.CharField()
    team_name = S.CharField()


class MetricsServiceRowSerializer(MetricsResponseRowSerializer):
    service_slug = S.CharField()
    service_name = S.CharField()
    team_slug = S.CharField()


class MetricsWeekRowSerializer(MetricsResponseRowSerializer):
    week = S.DateField(help_text="The week's Monday (UTC).")


class MetricsMtbfSerializer(S.Serializer):
    failures = S.IntegerField()
    services = S.IntegerField(help_text="Active services in scope.")
    operational_hours = S.FloatField()
    mean = _float(help_text="Hours: operational time / failures.")
    median = _float(help_text="Hours between a failure and the service's previous one.")
    p90 = _float()
    gaps = S.IntegerField()


class MetricsResponseSerializer(S.Serializer):
    overall = MetricsResponseRowSerializer()
    by_severity = MetricsSeverityRowSerializer(many=True)
    by_team = MetricsTeamRowSerializer(many=True)
    by_service = MetricsServiceRowSerializer(many=True)
    by_week = MetricsWeekRowSerializer(many=True)
    mtbf = MetricsMtbfSerializer()


class MetricsRecurringKeySerializer(S.Serializer):
    service = S.CharField(allow_null=True)
    dedup_key = S.CharField()
    incidents = S.IntegerField()


class MetricsRecurrenceSerializer(S.Serializer):
    incidents = S.IntegerField()
    recurring = S.IntegerField()
    rate = _float()
    window_days = S.IntegerField()
    top = MetricsRecurringKeySerializer(many=True)


class MetricsActionItemsSerializer(S.Serializer):
    due = S.IntegerField()
    done_on_time = S.IntegerField()
    done_late = S.IntegerField()
    not_done = S.IntegerField()
    rate = _float()


class MetricsOverdueSerializer(S.Serializer):
    team = S.CharField()
    team_name = S.CharField()
    overdue = S.IntegerField()
    open = S.IntegerField()


class MetricsStaleRunbookSerializer(S.Serializer):
    service = S.CharField()
    service_name = S.CharField()
    team = S.CharField()
    reviewed_at = S.DateTimeField(allow_null=True)


class MetricsRunbooksSerializer(S.Serializer):
    active_services = S.IntegerField()
    reviewed = S.IntegerField()
    coverage = _float()
    fresh_days = S.IntegerField()
    stale = MetricsStaleRunbookSerializer(many=True)


class MetricsQualitySerializer(S.Serializer):
    recurrence = MetricsRecurrenceSerializer()
    action_items = MetricsActionItemsSerializer()
    action_items_overdue_by_team = MetricsOverdueSerializer(many=True)
    runbooks = MetricsRunbooksSerializer()


class MetricsAlertWeekSerializer(S.Serializer):
    week = S.DateField()
    events = S.IntegerField()
    incidents = S.IntegerField()


class MetricsAlertVolumeSerializer(S.Serializer):
    weeks = MetricsAlertWeekSerializer(many=True)
    events = S.IntegerField()
    incidents = S.IntegerField()
    events_per_week_per_team = _float()
    busiest_week = MetricsAlertWeekSerializer(allow_null=True)


class MetricsFalsePositivesSerializer(S.Serializer):
    incidents = S.IntegerField()
    false_alarms = S.IntegerField()
    rate = _float()


class MetricsPageWeekSerializer(S.Serializer):
    week = S.DateField()
    pages = S.IntegerField()
    after_hours = S.IntegerField()


class MetricsPersonSerializer(S.Serializer):
    id = S.IntegerField()
    username = S.CharField()
    name = S.CharField()
    pages = S.IntegerField()
    after_hours = S.IntegerField()
    after_hours_per_week = S.FloatField()
    worst_week = S.IntegerField(help_text="Most after-hours pages in one week.")


class MetricsAfterHoursSerializer(S.Serializer):
    weeks = MetricsPageWeekSerializer(many=True)
    people = MetricsPersonSerializer(many=True)
    pages = S.IntegerField()
    after_hours = S.IntegerField()
    after_hours_per_week_per_team = _float()


class MetricsShiftUserSerializer(S.Serializer):
    id = S.IntegerField()
    username = S.CharField()
    name = S.CharField()


class MetricsShiftSerializer(S.Serializer):
    user = MetricsShiftUserSerializer()
    start = S.DateTimeField()
    end = S.DateTimeField()
    source = S.CharField(help_text="rotation or override")
    pages = S.IntegerField()
    pages_per_week = S.FloatField()


class MetricsRotationSerializer(S.Serializer):
    team = S.CharField()
    rotation = S.CharField()
    kind = S.CharField()
    shifts = MetricsShiftSerializer(many=True)
    pages = S.IntegerField()
    mean = S.FloatField()
    max = S.IntegerField()


class MetricsShiftsSerializer(S.Serializer):
    rotations = MetricsRotationSerializer(many=True)
    shifts = S.IntegerField()
    pages = S.IntegerField()
    mean_per_shift = _float()
    pages_per_shift_week = _float()
    busiest = MetricsShiftSerializer(allow_null=True)


class MetricsOnCallSerializer(S.Serializer):
    alert_volume = MetricsAlertVolumeSerializer()
    false_positives = MetricsFalsePositivesSerializer()
    after_hours = MetricsAfterHoursSerializer()
    shifts = MetricsShiftsSerializer()


class MetricsHeadlineSerializer(S.Serializer):
    key = S.CharField()
    label = S.CharField()
    definition = S.CharField()
    value = _float(help_text="Seconds, hours, a fraction or a count per week, as `unit` says.")
    median = _float()
    p90 = _float()
    count = S.IntegerField(help_text="What the value is computed from (incidents, items, services, …).")
    unit = S.CharField(help_text="seconds, hours, percent (a fraction) or per_week.")
    display = S.CharField()
    median_display = S.CharField()
    p90_display = S.CharField()
    target = S.CharField(allow_null=True, help_text="The guide's target; null when it sets none.")
    status = S.CharField(allow_null=True, help_text="met, not_met or no_data; null without a target.")


class MetricsTeamSerializer(S.Serializer):
    slug = S.CharField()
    name = S.CharField()


class MetricsScopeSerializer(S.Serializer):
    since = S.DateTimeField()
    until = S.DateTimeField()
    team = S.CharField(allow_null=True)
    service = S.CharField(allow_null=True)
    severity = S.CharField(allow_null=True)
    teams = MetricsTeamSerializer(many=True)
    weeks = S.FloatField(help_text="The window's length in weeks.")


class MetricsSerializer(S.Serializer):
    scope = MetricsScopeSerializer()
    headlines = MetricsHeadlineSerializer(many=True, help_text="The retrospective table: value, target, met.")
    response = MetricsResponseSerializer()
    quality = MetricsQualitySerializer()
    on_call = MetricsOnCallSerializer()


class MetricsView(APIView):
    extra_error_statuses = ("404",)  # a team or service that is not yours

    @extend_schema(
        tags=["metrics"],
        summary="Incident metrics against the guide's targets",
        description="MTTA, MTTI, MTTR (mean, median, p90), acknowledgement SLA, MTBF, recurrence, action-item "
        "completion, runbook coverage, alert volume, false positives, after-hours pages and pages per shift, "
        "for your teams (or the team, service and severity named) over [since, until). 400 for a bad or "
        "reversed window, 404 for a team or service that is not yours.",
        parameters=[MetricsQuerySerializer],
        responses=MetricsSerializer,
    )
    def get(self, request):
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = metric_scope(teams=insight_teams(request.user), **query.validated_data)
        return Response(MetricsSerializer(metrics_all(scope)).data)

