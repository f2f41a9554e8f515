"""Query-string filters of the post-mortem API. Every value is validated: a bad one is a 400 naming it."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from config.api.filters import BooleanFilter
from config.api.serializers import BIGINT
from postmortems.models import OPEN_ITEM_STATES, ActionItem, ActionItemStatus, PostMortem, PostMortemState


class PostMortemFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=PostMortemState.choices, help_text="Repeat for several.")
    team = django_filters.CharFilter(field_name="incident__service__team__slug", max_length=120,
                                     help_text="Team slug.")
    incident = django_filters.NumberFilter(field_name="incident_id", min_value=1, max_value=BIGINT,
                                           help_text="The incident's id.")

    class Meta:
        model = PostMortem
        fields = []


class ActionItemFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(method="filter_owner", max_length=150,
                                      help_text="`me`, or a username.")
    status = django_filters.MultipleChoiceFilter(choices=ActionItemStatus.choices, help_text="Repeat for several.")
    overdue = BooleanFilter(
        method="filter_overdue",
        help_text="true: open or in progress with a due date before today; false: every other item.",
    )
    team = django_filters.CharFilter(method="filter_team", max_length=120, help_text="Team slug.")
    postmortem = django_filters.NumberFilter(field_name="postmortem_id", min_value=1, max_value=BIGINT,
                                             help_text="The post-mortem's id.")

    class Meta:
        model = ActionItem
        fields = []

    def filter_team(self, queryset, name, value):
        return queryset.filter(Q(postmortem__incident__service__team__slug=value) | Q(service__team__slug=value))

    def filter_owner(self, queryset, name, value):
        if value == "me":
            return queryset.filter(owner=self.request.user)
        return queryset.filter(owner__username=value)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = {"status__in": OPEN_ITEM_STATES, "due_date__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
