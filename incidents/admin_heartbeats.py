"""Heartbeat monitors in the admin, for the managers of a service's team: add one (its ping URL is shown once, on
the page that answers the save), rotate keys (an action, same page), pause and resume (actions), see the last ping
and the incident a missed beat opened. Writes go through incidents.services.heartbeats."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from incidents.admin import RefusalAsMessageMixin, ServiceRefused, _refusal
from incidents.admin_keys import KeyShownOnceMixin
from incidents.admin_scoping import TeamManagersOnlyMixin
from incidents.models import HeartbeatMonitor
from incidents.services import heartbeats as hb

FORM_FIELDS = ("name", "interval", "grace", "severity", "paused", "is_active")


class HeartbeatForm(forms.ModelForm):
    class Meta:
        model = HeartbeatMonitor
        fields = ("service", *FORM_FIELDS)


@admin.register(HeartbeatMonitor)
class HeartbeatMonitorAdmin(KeyShownOnceMixin, TeamManagersOnlyMixin, RefusalAsMessageMixin, admin.ModelAdmin):
    form = HeartbeatForm
    key_template = "admin/incidents/heartbeatmonitor/keys.html"
    created_title = "Heartbeat monitor created"
    list_display = ("name", "service", "status", "interval", "grace", "last_ping_at", "next_due_at", "incident",
                    "key_hint")
    list_filter = ("paused", "is_active", ("service", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "service__name", "key_prefix")
    list_select_related = ("service", "incident")
    actions = ["rotate_keys", "pause", "resume"]


    def get_readonly_fields(self, request, obj=None):
        base = ("status", "key_hint", "last_ping_at", "pings_received", "next_due_at", "incident", "created_at",
                "key_rotated_at")
        return base if obj is None else ("service", *base)

    @admin.display(description="Key")
    def key_hint(self, monitor: HeartbeatMonitor) -> str:
        if not monitor.key_prefix:
            return "shown once, after saving"
        return f"{monitor.key_prefix}… (rotate to get a new ping URL; keys are shown only once)"

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in FORM_FIELDS if f in form.cleaned_data}
        try:
            if change:
                saved = hb.heartbeat_update(user=request.user, monitor=obj, **data)
            else:
                is_active = data.pop("is_active", True)
                saved, key = hb.heartbeat_create(user=request.user, service=form.cleaned_data["service"], **data)
                if not is_active:
                    saved = hb.heartbeat_update(user=request.user, monitor=saved, is_active=False)
                request.new_key = key
        except (ApplicationError, PermissionDenied) as exc:
            raise ServiceRefused(_refusal(exc)) from exc
        obj.pk, obj.created_at, obj.key_prefix = saved.pk, saved.created_at, saved.key_prefix
        obj._state.adding = False

    def delete_model(self, request, obj):
        try:
            hb.heartbeat_delete(user=request.user, monitor=obj)
        except PermissionDenied as exc:
            self.message_user(request, f"{obj}: {exc}", messages.ERROR)

    def delete_queryset(self, request, queryset):
        for monitor in queryset:
            self.delete_model(request, monitor)

    @admin.action(description="Rotate the keys of the selected monitors")
    def rotate_keys(self, request, queryset):
        return self.rotate_each(
            request, queryset, lambda user, obj: hb.heartbeat_rotate_key(user=user, monitor=obj), "New ping URLs"
        )

    def _set_paused(self, request, queryset, paused: bool) -> None:
        done = 0
        for monitor in queryset:
            try:
                hb.heartbeat_pause(user=request.user, monitor=monitor, paused=paused)
                done += 1
            except (ApplicationError, PermissionDenied) as exc:
                self.message_user(request, f"{monitor}: {_refusal(exc)}", messages.ERROR)
        if done:
            self.message_user(request, f"{'Paused' if paused else 'Resumed'} {done} monitor(s).", messages.SUCCESS)

    @admin.action(description="Pause the selected monitors")
    def pause(self, request, queryset):
        self._set_paused(request, queryset, True)

    @admin.action(description="Resume the selected monitors")
    def resume(self, request, queryset):
        self._set_paused(request, queryset, False)

    def key_rows(self, pairs):
        return [{"monitor": monitor, "url": hb.heartbeat_url(key)} for monitor, key in pairs]
