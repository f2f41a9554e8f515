"""The admin pages that belong to a team's managers (integrations, heartbeat monitors, maintenance windows): each
lists, shows and changes only the objects of the teams the user manages (superusers: all), and offers only those
teams' services in its forms."""

from __future__ import annotations

from django.db.models import QuerySet

from incidents.models import Service
from oncall.admin.base import manages_any_team
from oncall.models import Team
from oncall.selectors import is_team_manager, teams_managed_by


class TeamManagersOnlyMixin:
    team_path = "service__team"  # how the admin's model reaches its team
    active_services_only = True  # which services the forms offer

    def managed_teams(self, request) -> QuerySet[Team]:
        return Team.objects.all() if request.user.is_superuser else teams_managed_by(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related(self.team_path)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.team_path}__in": teams_managed_by(request.user)})

    def _team_of(self, obj) -> Team:
        for step in self.team_path.split("__"):
            obj = getattr(obj, step)
        return obj

    def _allowed(self, request, obj=None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return manages_any_team(request) if obj is None else is_team_manager(user, self._team_of(obj))

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = self.managed_teams(request)
        elif db_field.name == "service":
            services = Service.objects.filter(team__in=self.managed_teams(request)).select_related("team")
            kwargs["queryset"] = services.filter(is_active=True) if self.active_services_only else services
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
