"""Escalation policies with their levels. Incidents freeze a policy's snapshot when declared, so editing
one here changes the escalation of incidents declared from now on, never of those in flight."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from oncall.admin.base import ScopedInlineMixin, TeamScopedAdmin, limit_people, managed_teams, team_people
from oncall.models import EscalationLevel, EscalationPolicy, Rotation


class EscalationLevelFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        policy = self.instance
        if policy.team_id is None:
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if self.can_delete and self._should_delete_form(form):
                continue
            rotation = data.get("target_rotation")
            if rotation is not None and rotation.team_id != policy.team_id:
                form.add_error("target_rotation", f"Choose one of {policy.team}'s rotations.")


class EscalationLevelInline(ScopedInlineMixin, admin.TabularInline):
    model = EscalationLevel
    formset = EscalationLevelFormSet
    fields = ("position", "delay", "target_kind", "target_rotation", "target_user", "target_role", "only_severities")
    ordering = ("position",)
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("target_rotation__team", "target_user")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        teams = [obj.team_id] if obj is not None and obj.team_id else managed_teams(request)
        fields = formset.form.base_fields
        fields["target_rotation"].queryset = Rotation.objects.filter(team__in=teams).select_related("team")
        limit_people(fields["target_user"], team_people(teams))
        return formset


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(TeamScopedAdmin):
    list_display = ("name", "team", "is_default", "level_summary", "updated_at")
    list_filter = ("is_default", ("team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("team",)
    search_fields = ("name", "team__name")
    ordering = ("team__name", "name")
    fields = ("team", "name", "is_default")
    inlines = (EscalationLevelInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("levels__target_user", "levels__target_rotation")

    def get_readonly_fields(self, request, obj=None):
        return ("team",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = managed_teams(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Levels")
    def level_summary(self, policy: EscalationPolicy) -> str:
        levels = sorted(policy.levels.all(), key=lambda level: level.position)
        return " → ".join(
            f"{level.target_label} ({int(level.delay.total_seconds() // 60)} min"
            + (f", {'/'.join(level.only_severities)} only" if level.only_severities else "") + ")"
            for level in levels
        ) or "—"
