"""What every on-call admin shares: team scoping, people pickers, and service refusals shown as messages.

A manager sees and picks only what belongs to the teams they manage (oncall.selectors.teams_managed_by;
superusers: everything). Querysets, foreign-key choices and object permissions all follow that one rule,
so another team's object neither appears in a list nor can be chosen in a form nor opened by URL.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse

from config.errors import ApplicationError
from oncall.eligibility import display_name
from oncall.models import RESPONDER_ROLES, Rotation, Team, TeamMembership
from oncall.selectors import teams_managed_by


class ServiceRefused(Exception):
    """A service refused a save the form had accepted; shown as an error message, nothing is saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def refusal(exc: Exception) -> str:
    return exc.message if isinstance(exc, ApplicationError) else (str(exc) or "You may not do that.")


def refused(exc: ApplicationError | PermissionDenied) -> ServiceRefused:
    return ServiceRefused(refusal(exc))


class RefusalAsMessageMixin:
    """Turn ServiceRefused raised while saving into an error message. Raised inside the admin's atomic
    block, it rolls back everything the save had already written (the object and its inlines)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def managed_teams(request) -> QuerySet[Team]:
    return teams_managed_by(request.user)


def manages_any_team(request) -> bool:
    """Whether the requesting user manages a team (superusers: always), asked once per request. The admin asks it
    of every manager-scoped model for the sidebar and the app list (module, view, add, change and delete
    permission each), which came to some 17 identical queries on one changelist."""
    try:
        return request._manages_any_team
    except AttributeError:
        user = request.user
        answer = user.is_superuser or teams_managed_by(user).exists()
        request._manages_any_team = answer
        return answer


def managed_rotations(request) -> QuerySet[Rotation]:
    return Rotation.objects.filter(team__in=managed_teams(request)).select_related("team")


def team_people(teams, *, responders_only: bool = False) -> QuerySet:
    """Active users who belong to any of `teams` (a queryset or a list), by name."""
    memberships = TeamMembership.objects.filter(team__in=teams)
    if responders_only:
        memberships = memberships.filter(role__in=RESPONDER_ROLES)
    return (
        get_user_model().objects.filter(pk__in=memberships.values("user_id"), is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def person_label(user) -> str:
    name = display_name(user)
    return name if name == user.get_username() else f"{name} ({user.get_username()})"


def limit_people(formfield, queryset) -> None:
    """Offer only `queryset` in a user picker, labelled with people's names."""
    if formfield is not None:
        formfield.queryset = queryset
        formfield.label_from_instance = person_label


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def feed_url(name: str, token: str) -> str:
    return site_url(reverse(f"oncall:{name}", kwargs={"token": token}))


class TeamScopedAdmin(admin.ModelAdmin):
    """A model admin whose rows belong to teams through `team_lookup` (e.g. "rotation__team")."""

    team_lookup = "team"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        # A subquery rather than a join: a person in two managed teams must not appear twice.
        in_scope = self.model._default_manager.filter(**{f"{self.team_lookup}__in": managed_teams(request)})
        return qs.filter(pk__in=in_scope.values("pk"))

    def in_scope(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)


class ScopedInlineMixin:
    """Inline permissions follow the parent: only a manager of the parent's team changes its rows."""

    def _parent_in_scope(self, request, obj) -> bool:
        if obj is None or obj.pk is None or request.user.is_superuser:
            return True
        return obj.team_id in set(managed_teams(request).values_list("pk", flat=True))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_in_scope(request, obj)


def keep_message_once(request, level: int, text: str) -> None:
    """Add a message unless the same text is already waiting to be shown (e.g. from the save just before)."""
    storage = messages.get_messages(request)
    waiting = [m.message for m in storage]
    storage.used = False  # reading must not consume them
    if text not in waiting:
        messages.add_message(request, level, text)
