"""Integrations in the admin, for the managers of a service's team: add one (its key is shown once, on the page
that answers the save, and stored nowhere), rotate keys (an action, same page), tune the severity mapping and the
rate limit, see the event counts and the last event time. Writes go through incidents.ingestion.services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from config.errors import ApplicationError
from incidents.admin import RefusalAsMessageMixin, ServiceRefused, _refusal
from incidents.admin_keys import KeyShownOnceMixin
from incidents.admin_scoping import TeamManagersOnlyMixin
from incidents.ingestion.keys import integration_changed
from incidents.ingestion.services import (
    EDITABLE_FIELDS,
    integration_create,
    integration_rotate_key,
    integration_update,
    integration_url,
)
from incidents.models import Alert, Integration, IntegrationKind, Severity
from oncall.admin.base import manages_any_team
from oncall.selectors import is_team_manager, teams_managed_by


class IntegrationForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ("service", "name", "kind", *EDITABLE_FIELDS[1:])
        help_texts = {
            "severity_mapping": 'For example {"critical": "P1", "error": "P2", "warning": "P3", "info": "P4"}. '
            "Events API v2 sends critical, error, warning or info; Alertmanager the alert's severity label.",
        }

    def clean_severity_mapping(self):
        mapping = self.cleaned_data.get("severity_mapping")
        if not isinstance(mapping, dict):
            raise forms.ValidationError('Give an object such as {"critical": "P1"}.')
        wrong = sorted({str(v) for v in mapping.values() if v not in Severity.values})
        if wrong:
            raise forms.ValidationError(f"Map to one of {', '.join(Severity.values)}; not {', '.join(wrong)}.")
        return mapping


@admin.register(Integration)
class IntegrationAdmin(KeyShownOnceMixin, TeamManagersOnlyMixin, RefusalAsMessageMixin, admin.ModelAdmin):
    form = IntegrationForm
    key_template = "admin/incidents/integration/keys.html"
    created_title = "Integration created"
    list_display = (
        "name", "service", "kind", "key_hint", "is_active", "rate_limit_per_minute", "events_received",
        "last_event_at",
    )
    list_filter = ("kind", "is_active", ("service", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "service__name", "key_prefix")
    list_select_related = ("service",)
    actions = ["rotate_keys"]

    # -- who: the managers of the service's team (superusers: everyone)


    # -- the form

    def get_fieldsets(self, request, obj=None):
        settings_fields = ("name", "is_active", "severity_mapping", "default_severity", "rate_limit_per_minute")
        if obj is None:
            return ((None, {"fields": ("service", "kind", *settings_fields)}),)
        return (
            (None, {"fields": ("service", "kind", "key_hint", "sender_url", *settings_fields)}),
            ("Traffic", {"fields": ("events_received", "last_event_at", "alerts_last_day", "created_at",
                                    "key_rotated_at")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("service", "kind", "key_hint", "sender_url", "events_received", "last_event_at", "alerts_last_day",
                "created_at", "key_rotated_at")

    @admin.display(description="Key")
    def key_hint(self, integration: Integration) -> str:
        return f"{integration.key_prefix}… (rotate to get a new key; keys are shown only once)"

    @admin.display(description="Sender URL")
    def sender_url(self, integration: Integration) -> str:
        return integration_url(integration.kind)

    @admin.display(description="Alerts stored in the last 24 h")
    def alerts_last_day(self, integration: Integration) -> int:
        since = timezone.now() - dt.timedelta(days=1)
        return Alert.objects.filter(integration=integration, received_at__gte=since).count()

    # -- saving: the services, and the key page

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        try:
            if change:
                saved = integration_update(
                    user=request.user, integration=obj, **{f: data[f] for f in EDITABLE_FIELDS if f in data}
                )
            else:
                saved, request.new_key = integration_create(user=request.user, **data)
        except (ApplicationError, PermissionDenied) as exc:
            raise ServiceRefused(_refusal(exc)) from exc
        obj.pk, obj.created_at, obj.key_prefix = saved.pk, saved.created_at, saved.key_prefix
        obj._state.adding = False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        integration_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        integration_changed()

    @admin.action(description="Rotate the keys of the selected integrations")
    def rotate_keys(self, request, queryset):
        return self.rotate_each(
            request, queryset, lambda user, obj: integration_rotate_key(user=user, integration=obj), "New keys"
        )

    def key_rows(self, pairs):
        return [
            {
                "integration": integration,
                "key": key,
                "url": integration_url(integration.kind),
                "key_url": integration_url(integration.kind, key)
                if integration.kind == IntegrationKind.ALERTMANAGER else "",
                "alertmanager": integration.kind == IntegrationKind.ALERTMANAGER,
            }
            for integration, key in pairs
        ]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """The alerts as received (read-only): what an integration sent, and on which incident it landed."""

    list_display = ("received_at", "incident", "integration", "action", "severity", "dedup_key", "summary")
    list_filter = ("action", "severity", ("integration", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("incident", "integration")
    search_fields = ("=dedup_key", "=fingerprint")
    show_full_result_count = False  # alert storms make exact counts expensive
    raw_id_fields = ("incident",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(service__team__in=teams_managed_by(request.user))

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and (
            manages_any_team(request)
        )

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return self.has_module_permission(request)
        return request.user.is_active and request.user.is_staff and is_team_manager(request.user, obj.service.team)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
