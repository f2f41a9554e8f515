"""Teams: a team's manager edits the team and its members; only superusers add or delete teams.

Memberships are saved through the ORM by the inline formset; oncall.signals syncs each member's
permission groups on every save and delete, so the admin needs no group handling of its own. A new team
gets the guide's default escalation policy from oncall.signals as well.
"""

from django.contrib import admin
from django.db.models import Count

from oncall.models import Team, TeamMembership, TeamRole
from oncall.selectors import is_team_manager, teams_managed_by


def _manages(request, team: Team | None) -> bool:
    return team is None or is_team_manager(request.user, team)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    fields = ("user", "role", "joined_at")
    readonly_fields = ("joined_at",)
    extra = 1
    ordering = ("role", "user__username")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    # The parent team (obj) decides: only its managers (and superusers) change its members.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _manages(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _manages(request, obj)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "working_hours", "managers", "member_count")
    search_fields = ("name", "slug", "memberships__user__username", "memberships__user__last_name")
    ordering = ("name",)
    inlines = (TeamMembershipInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug")}),
        ("Working hours", {"fields": ("time_zone", "working_days", "workday_starts", "workday_ends")}),
    )

    def get_queryset(self, request):
        qs = Team.objects.all() if request.user.is_superuser else teams_managed_by(request.user)
        return qs.annotate(_member_count=Count("memberships", distinct=True)).prefetch_related(
            "memberships__user"
        )

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ("name",)} if request.user.is_superuser else {}

    def get_readonly_fields(self, request, obj=None):
        # The slug names the team's permission groups and URLs; renaming it is an operator's job.
        return () if request.user.is_superuser else ("slug",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and _manages(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _manages(request, obj)

    @admin.display(description="Working hours")
    def working_hours(self, team: Team) -> str:
        return f"{team.workday_starts:%H:%M}–{team.workday_ends:%H:%M}"

    @admin.display(description="Managers")
    def managers(self, team: Team) -> str:
        names = [
            m.user.get_full_name() or m.user.get_username()
            for m in team.memberships.all()
            if m.role == TeamRole.MANAGER
        ]
        return ", ".join(sorted(names)) or "—"

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, team: Team) -> int:
        return team._member_count
