"""The incident changelist's parts for a table of 100,000s of rows: filters whose choices come from the services
the user can see (not from reading every visible incident to collect the services they are on), the row columns
a changelist shows, and a paginator whose deep pages do not read the rows they skip."""

from urllib.parse import parse_qsl

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from incidents.models import Incident
from incidents.selectors import incidents_for_listing, services_with_visible_incidents


class IdsFirstPaginator(Paginator):
    """Offset pages that stay cheap on a table of 100,000s of rows.

    A page is read in two steps: first ids, in ONE query that also counts ahead (`SELECT id … ORDER BY … OFFSET
    n LIMIT 1001`: the requested page's ids and those of up to `count_ahead` rows from its start, which the
    ordering index incident_detected_order answers from the index alone — the rows skipped are index entries,
    not table rows), then the page's incidents by id with their joins, without the permission filter again (the
    ids came through it). Two queries whatever the page, and no separate count: the permission filter of a team
    member's list is paid once, not once for a count and again for the page. When the list ends within the
    window the count is exact; otherwise the page says "more than N", the numbered links go on past the current
    page, and any page number may be asked for."""

    count_ahead = 1_000
    max_page = 1_000_000  # beyond it a page number is refused (its offset would not fit PostgreSQL's bigint)

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, page_number=1):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        valid = isinstance(page_number, int) and 0 < page_number <= self.max_page
        self.requested = page_number if valid else 1

    @property
    def _bottom(self) -> int:
        return (self.requested - 1) * self.per_page

    @cached_property
    def _window(self) -> list[int]:
        bottom = self._bottom
        ahead = max(self.count_ahead, self.per_page)
        return list(self.object_list.values_list("pk", flat=True)[bottom: bottom + ahead + 1])

    @property
    def capped(self) -> bool:
        return len(self._window) > max(self.count_ahead, self.per_page)

    @cached_property
    def count(self) -> int:
        """Exact when the list ends within the window; otherwise what is known to be there (the page says "more
        than")."""
        window, bottom = self._window, self._bottom
        if window or bottom == 0:
            return bottom + min(len(window), max(self.count_ahead, self.per_page))
        # A page past the end: how many rows there are before it (at most its start), so Django says so.
        return self.object_list.order_by().values("pk")[:bottom].count()

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number > self.max_page:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if number == self.requested:
            ids = self._window[: self.per_page]
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom: bottom + self.per_page])
        rows = incidents_for_listing(Incident.objects.select_related("service__team", "acknowledged_by"))
        rows = rows.filter(pk__in=ids).order_by(*self.object_list.query.order_by)
        return self._get_page(list(rows), number, self)

    def get_elided_page_range(self, number=1, *, on_each_side=3, on_ends=2):
        if not self.capped:
            yield from super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)
            return
        number = self.validate_number(number)
        if number > on_each_side + on_ends + 2:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
            yield from range(number - on_each_side, number + 1)
        else:
            yield from range(1, number + 1)
        yield from range(number + 1, number + on_each_side + 1)
        yield self.ELLIPSIS


def _filter_services(request) -> list:
    """The services (with their teams) the user's incidents can be on, read once per request for both filters:
    finding them goes through django-guardian's grants, which costs more in Python than in SQL."""
    try:
        return request._incident_filter_services
    except AttributeError:
        services = list(services_with_visible_incidents(request.user).order_by("name", "pk"))
        request._incident_filter_services = services
        return services


class VisibleServiceListFilter(admin.RelatedFieldListFilter):
    """Services the user's incidents can be on (RelatedOnlyFieldListFilter would scan every visible incident
    for its service on each page view)."""

    def field_choices(self, field, request, model_admin):
        return [(s.pk, s.name) for s in _filter_services(request)]


class VisibleTeamListFilter(admin.RelatedFieldListFilter):
    """Teams owning those services (taken from the services the service filter read: no query of its own)."""

    def field_choices(self, field, request, model_admin):
        teams = {s.team.pk: s.team for s in _filter_services(request)}
        return [(t.pk, t.name) for t in sorted(teams.values(), key=lambda t: (t.name, t.pk))]


class IncidentChangeList(ChangeList):
    """The changelist reads only the columns it shows (no escalation snapshot, texts or password hashes), and
    links its rows cheaply. Each row has two links to its change page (reference and title), and Django adds the
    list's filters to each (`?_changelist_filters=…`) through add_preserved_filters, which resolves the link
    against the whole URL configuration to see whether it points at the changelist itself: some 100 resolves
    on a filtered or later page. A change link never points at the changelist, so the query is the same for
    every row: it is worked out once and put on the URL here, and `preserved_filters` is left empty so that
    add_preserved_filters only re-encodes the query it finds on the URL (the same query, byte for byte)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_link_query = urlencode(dict(parse_qsl(self.preserved_filters)))
        self.preserved_filters = ""  # read by items_for_result only, for these row links
        self._result_urls = {}

    def get_queryset(self, request, exclude_parameters=None):
        return incidents_for_listing(super().get_queryset(request, exclude_parameters))

    def url_for_result(self, result):
        pk = result.pk
        if pk not in self._result_urls:
            url = super().url_for_result(result)
            self._result_urls[pk] = f"{url}?{self.row_link_query}" if self.row_link_query else url
        return self._result_urls[pk]


class IncidentListAdminMixin:
    """For IncidentAdmin. No full count (the count ahead of the filtered list is enough), ids-first pages of 50, the
    date filter as fixed ranges (a date hierarchy reads every visible incident's date to list the years), and the
    row checkbox written directly (Django renders a form widget template per row for it)."""

    paginator = IdsFirstPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return IncidentChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The page asked for, so that its ids and the count ahead are one query (ChangeList reads `count` first).
        try:
            number = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            number = 1
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, page_number=number)

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        label = escape(_("Select this object for an action - {}").format(obj))
        return mark_safe(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" value="{int(obj.pk)}" '
            f'class="action-select" aria-label="{label}">'
        )

    # The two times as the rest of Watchkeeper writes them ("2026-03-04 12:00", in the current time zone),
    # formatted directly: through Django's localized date formats they were a sixth of a page's rows' time.
    @admin.display(description=Incident._meta.get_field("detected_at").verbose_name, ordering="detected_at")
    def detected(self, incident):
        return _list_time(incident.detected_at)

    @admin.display(description=Incident._meta.get_field("ack_deadline").verbose_name, ordering="ack_deadline")
    def ack_due(self, incident):
        return _list_time(incident.ack_deadline)


def _list_time(value):
    if value is None:
        return None  # the admin's empty value
    return mark_safe(f'<span class="nowrap">{timezone.localtime(value):%Y-%m-%d %H:%M}</span>')
