"""Query-string filters of the incident API. Every value is validated: a bad one is a 400 naming it."""

import django_filters

from config.api.filters import BooleanFilter, DateTimeFilter
from incidents.models import OPEN_STATES, Incident, IncidentState, Service, Severity


class IncidentFilter(django_filters.FilterSet):
    # distinct=False: these are columns of the incident, so no row can appear twice, and a DISTINCT would make
    # PostgreSQL sort every matching incident before returning the first page.
    state = django_filters.MultipleChoiceFilter(
        choices=IncidentState.choices, distinct=False, help_text="Repeat for several."
    )
    open = BooleanFilter(method="filter_open", help_text="true: only open incidents; false: only "
                                        "resolved and closed ones.")
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices, distinct=False, help_text="Repeat for several."
    )
    service = django_filters.CharFilter(field_name="service__slug", max_length=120, help_text="Service slug.")
    team = django_filters.CharFilter(field_name="service__team__slug", max_length=120, help_text="Team slug.")
    dedup_key = django_filters.CharFilter(max_length=255)
    breached = BooleanFilter(
        method="filter_breached",
        help_text="true: the acknowledgement deadline passed unacknowledged (ack_breached_at is set); false: not.",
    )
    detected_since = DateTimeFilter(
        field_name="detected_at", lookup_expr="gte", help_text="Detected at or after (ISO 8601)."
    )
    detected_until = DateTimeFilter(
        field_name="detected_at", lookup_expr="lt", help_text="Detected before (ISO 8601)."
    )

    class Meta:
        model = Incident
        fields = []

    def filter_breached(self, queryset, name, value):
        return queryset.filter(ack_breached_at__isnull=not value)

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN_STATES) if value else queryset.exclude(state__in=OPEN_STATES)


class ServiceFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", max_length=120, help_text="Team slug.")
    is_active = BooleanFilter()

    class Meta:
        model = Service
        fields = []
