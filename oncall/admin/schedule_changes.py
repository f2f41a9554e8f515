"""Blackouts and overrides: the two ways a manager changes who is on call without touching the rotation.

Both are created through the services (blackout_create, override_create). The override form first asks
oncall.coverage why the person could not cover the span, so the reasons show on the form; the service
checks again under the team's schedule lock when it saves.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from oncall.admin.base import (
    RefusalAsMessageMixin,
    TeamScopedAdmin,
    limit_people,
    managed_rotations,
    managed_teams,
    refused,
    team_people,
)
from oncall.coverage import assert_can_cover
from oncall.eligibility import display_name
from oncall.models import Blackout, Override
from oncall.services import blackout_create, override_create


@admin.register(Blackout)
class BlackoutAdmin(RefusalAsMessageMixin, TeamScopedAdmin):
    team_lookup = "user__memberships__team"
    list_display = ("person", "reason", "start", "end", "note")
    list_filter = ("reason", ("user__memberships__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "note")
    date_hierarchy = "start"
    ordering = ("-start",)
    fields = ("user", "start", "end", "reason", "note")

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            limit_people(formfield, team_people(managed_teams(request)))
        return formfield

    def save_model(self, request, obj, form, change):
        if change:  # new dates or reason; the form has checked that it still ends after it starts
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        try:
            created = blackout_create(user=data["user"], start=data["start"], end=data["end"],
                                      reason=data["reason"], note=data.get("note", ""))
        except ApplicationError as exc:
            raise refused(exc) from exc
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False

    @admin.display(description="Person", ordering="user__first_name")
    def person(self, blackout: Blackout) -> str:
        return display_name(blackout.user)


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ("rotation", "user", "start", "end", "reason")

    def clean(self):
        data = super().clean()
        rotation, user, start, end = (data.get(name) for name in ("rotation", "user", "start", "end"))
        if rotation and user and start and end and end > start:
            try:
                assert_can_cover(rotation=rotation, user=user, start=start, end=end)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(Override)
class OverrideAdmin(RefusalAsMessageMixin, TeamScopedAdmin):
    """Overrides are added and deleted, never edited: an edit would skip the coverage checks."""

    form = OverrideForm
    team_lookup = "rotation__team"
    list_display = ("rotation", "person", "start", "end", "source", "swap", "reason", "created_by")
    list_filter = ("source", ("rotation__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("rotation__team", "user", "created_by", "swap")
    search_fields = ("user__username", "user__first_name", "user__last_name", "reason")
    date_hierarchy = "start"
    ordering = ("-start",)
    readonly_fields = ("source", "swap", "created_by", "created_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("rotation", "user", "start", "end", "reason")
        return ("rotation", "user", "start", "end", "reason", "source", "swap", "created_by", "created_at")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "rotation" and formfield is not None:
            formfield.queryset = managed_rotations(request)
        elif db_field.name == "user":
            limit_people(formfield, team_people(managed_teams(request), responders_only=True))
        return formfield

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            created = override_create(
                rotation=data["rotation"], user=data["user"], start=data["start"], end=data["end"],
                created_by=request.user, reason=data.get("reason", ""),
            )
        except (ApplicationError, PermissionDenied) as exc:
            raise refused(exc) from exc
        obj.pk, obj.created_at, obj.created_by = created.pk, created.created_at, created.created_by
        obj._state.adding = False

    @admin.display(description="On call", ordering="user__first_name")
    def person(self, override: Override) -> str:
        return display_name(override.user)
