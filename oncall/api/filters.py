"""Query-string filters of the on-call API."""

import django_filters

from config.api.filters import DateTimeFilter
from oncall.models import EscalationPolicy, Override, Rotation, RotationKind, SwapRequest, SwapState


class RotationFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", max_length=120, help_text="Team slug.")
    kind = django_filters.ChoiceFilter(choices=RotationKind.choices)

    class Meta:
        model = Rotation
        fields = []


class OverrideFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="rotation__team__slug", max_length=120, help_text="Team slug.")
    rotation = django_filters.NumberFilter(field_name="rotation_id", min_value=1, max_value=2**63 - 1)
    user = django_filters.CharFilter(field_name="user__username", max_length=150, help_text="Username.")
    ends_after = DateTimeFilter(
        field_name="end", lookup_expr="gt", help_text="Only overrides still running after this (ISO 8601)."
    )
    starts_before = DateTimeFilter(
        field_name="start", lookup_expr="lt", help_text="Only overrides starting before this (ISO 8601)."
    )

    class Meta:
        model = Override
        fields = []


class SwapRequestFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="rotation__team__slug", max_length=120, help_text="Team slug.")
    rotation = django_filters.NumberFilter(field_name="rotation_id", min_value=1, max_value=2**63 - 1)
    state = django_filters.MultipleChoiceFilter(choices=SwapState.choices, help_text="Repeat for several.")

    class Meta:
        model = SwapRequest
        fields = []


class EscalationPolicyFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", max_length=120, help_text="Team slug.")

    class Meta:
        model = EscalationPolicy
        fields = []
