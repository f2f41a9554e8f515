"""Maintenance windows in the admin, for the managers of a team: plan one-off or weekly windows for one service
or all of the team's services, see the next occurrences. Writes go through incidents.services.maintenance, so
a window in progress holds paging at once and a deleted one lets its incidents page again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.html import format_html_join

from config.errors import ApplicationError
from incidents.admin import RefusalAsMessageMixin, ServiceRefused, _refusal
from incidents.admin_scoping import TeamManagersOnlyMixin
from incidents.models import MaintenanceWindow
from incidents.services import maintenance as mw

FORM_FIELDS = ("team", "service", "reason", "starts_at", "ends_at", "recurrence", "time_zone", "repeat_until")


class MaintenanceWindowForm(forms.ModelForm):
    class Meta:
        model = MaintenanceWindow
        fields = FORM_FIELDS


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(TeamManagersOnlyMixin, RefusalAsMessageMixin, admin.ModelAdmin):
    form = MaintenanceWindowForm
    list_display = ("reason", "scope", "team", "recurrence", "starts_at", "ends_at", "next_occurrences", "created_by")
    list_filter = ("recurrence", ("team", admin.RelatedOnlyFieldListFilter))
    search_fields = ("reason", "service__name")
    list_select_related = ("team", "service", "created_by")
    team_path = "team"
    active_services_only = False
    readonly_fields = ("next_occurrences", "created_by", "created_at")
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request, obj=None):
        # A window stays with its team (the service refuses a move): shown, not offered, on the change page.
        return self.readonly_fields if obj is None else ("team", *self.readonly_fields)

    @admin.display(description="Applies to")
    def scope(self, window: MaintenanceWindow) -> str:
        return window.service.name if window.service_id else "all of the team's services"

    @admin.display(description="Next occurrences")
    def next_occurrences(self, window: MaintenanceWindow):
        if window.pk is None:
            return "—"
        tz = window.tz
        upcoming = window.upcoming(after=timezone.now(), count=3)
        if not upcoming:
            return "over"
        return format_html_join(
            ", ", "{} – {}",
            ((f"{o.starts_at.astimezone(tz):%a %d %b %H:%M}", f"{o.ends_at.astimezone(tz):%H:%M %Z}")
             for o in upcoming),
        )

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data.get(field) for field in FORM_FIELDS}
        data["time_zone"] = data["time_zone"] or ""
        team = data.pop("team")  # not editable on change (get_readonly_fields); the update service refuses it
        try:
            if change:
                saved = mw.maintenance_window_update(user=request.user, window=obj.pk, **data)
            else:
                saved = mw.maintenance_window_create(user=request.user, team=team, **data)
        except (PermissionDenied, ApplicationError) as exc:
            raise ServiceRefused(_refusal(exc)) from exc
        except ValidationError as exc:
            raise ServiceRefused(" ".join(exc.messages)) from exc
        obj.pk, obj.created_at, obj.next_start_at = saved.pk, saved.created_at, saved.next_start_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        try:
            mw.maintenance_window_delete(user=request.user, window=obj.pk)
        except PermissionDenied as exc:
            self.message_user(request, _refusal(exc), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for window in list(queryset):
            self.delete_model(request, window)
