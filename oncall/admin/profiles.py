"""On-call profiles: how to reach someone and the guide's eligibility facts, with what is still missing."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html, format_html_join

from config.errors import ApplicationError
from oncall.admin.base import (
    RefusalAsMessageMixin,
    TeamScopedAdmin,
    limit_people,
    managed_teams,
    refused,
    team_people,
)
from oncall.eligibility import display_name, missing_requirements
from oncall.models import OnCallProfile
from oncall.services import oncall_profile_set
from oncall.services.profiles import EDITABLE_PROFILE_FIELDS


@admin.register(OnCallProfile)
class OnCallProfileAdmin(RefusalAsMessageMixin, TeamScopedAdmin):
    team_lookup = "user__memberships__team"
    list_display = ("person", "team_names", "eligible", "missing", "time_zone", "onboarded_on",
                    "shadow_shifts_completed", "training_completed", "production_access", "is_leadership")
    list_filter = ("training_completed", "production_access", "is_leadership",
                   ("user__memberships__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "email")
    ordering = ("user__first_name", "user__last_name", "user__username")
    fieldsets = (
        (None, {"fields": ("user", "eligibility")}),
        ("Contact", {"fields": ("email", "webhook_url", "time_zone")}),
        ("Eligibility (the guide's requirements)", {
            "fields": ("onboarded_on", "shadow_shifts_completed", "training_completed", "production_access"),
            "description": "On call needs: onboarded 30+ days ago, 2+ shadowed shifts, incident-response "
                           "training, production access.",
        }),
        ("Escalation", {"fields": ("is_leadership",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("user__memberships__team")

    def get_readonly_fields(self, request, obj=None):
        fields = ["eligibility"]
        if obj is not None:
            fields.append("user")
        if not request.user.is_superuser:
            # Leadership is paged for every team's P1s; only operators decide who that is.
            fields.append("is_leadership")
        return fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "webhook_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            limit_people(formfield, team_people(managed_teams(request)).filter(oncall_profile__isnull=True))
        return formfield

    def save_model(self, request, obj, form, change):
        # Through the service, which validates every value; only what the form changed is written.
        names = EDITABLE_PROFILE_FIELDS & set(form.changed_data if change else form.cleaned_data)
        try:
            saved = oncall_profile_set(user=obj.user, **{name: form.cleaned_data[name] for name in names})
        except (ApplicationError, PermissionDenied) as exc:
            raise refused(exc) from exc
        obj.pk, obj.calendar_token, obj.webhook_secret = saved.pk, saved.calendar_token, saved.webhook_secret
        obj._state.adding = False

    # -- columns

    @admin.display(description="Person", ordering="user__first_name")
    def person(self, profile: OnCallProfile) -> str:
        return display_name(profile.user)

    @admin.display(description="Teams")
    def team_names(self, profile: OnCallProfile) -> str:
        return ", ".join(sorted(m.team.name for m in profile.user.memberships.all())) or "—"

    @admin.display(description="Eligible", boolean=True)
    def eligible(self, profile: OnCallProfile) -> bool:
        return not missing_requirements(profile.user)

    @admin.display(description="Missing")
    def missing(self, profile: OnCallProfile) -> str:
        return "; ".join(m.message for m in missing_requirements(profile.user)) or "—"

    @admin.display(description="Eligibility")
    def eligibility(self, profile: OnCallProfile) -> str:
        if profile is None or profile.pk is None:
            return "Shown once the profile is saved."
        missing = missing_requirements(profile.user)
        if not missing:
            return format_html("<strong>✓ {} may go on call.</strong>", display_name(profile.user))
        return format_html(
            "<strong>✗ {} cannot go on call:</strong><ul>{}</ul>",
            display_name(profile.user), format_html_join("", "<li>{}</li>", ((m.message,) for m in missing)),
        )

