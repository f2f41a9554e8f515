"""Admin for managers: oversight of their teams' post-mortems and the action items they produced.

Post-mortems are written on the engineer pages, so here they are read-only. Action items are changed
through postmortems.services (status rules, completed_at, owner notifications), from the change form and
from the bulk actions alike. Querysets come from postmortems.selectors: another team's rows do not exist here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from config.errors import ApplicationError
from oncall.selectors import is_team_manager
from postmortems.models import (
    OPEN_ITEM_STATES,
    ActionItem,
    ActionItemStatus,
    PostMortem,
    PostMortemEvent,
    PostMortemState,
)
from postmortems.selectors import action_items_managed_by, postmortems_managed_by
from postmortems.services import action_item_reassign, action_item_set_status, action_item_update


def _refusal(exc: Exception) -> str:
    return exc.message if isinstance(exc, ApplicationError) else (str(exc) or "You may not do that.")


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


class ServiceRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ReviewOverdueFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Review overdue (draft past its due date)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(state=PostMortemState.DRAFT, review_due_at__lt=timezone.now())
        return queryset


class ActionItemOverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = {"status__in": OPEN_ITEM_STATES, "due_date__lt": timezone.localdate()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = PostMortemEvent
    fields = ("at", "actor", "from_state", "to_state", "note")
    verbose_name_plural = "history (append-only)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("at", "id")


class ActionItemInline(ReadOnlyInline):
    model = ActionItem
    fields = ("title", "owner", "due_date", "status", "completed_at")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").order_by("due_date", "id")


@admin.register(PostMortem)
class PostMortemAdmin(admin.ModelAdmin):
    list_display = (
        "reference", "title", "team", "severity", "state", "owner", "review_due_at", "review_overdue", "published_at",
    )
    list_display_links = ("reference", "title")
    list_filter = ("state", ReviewOverdueFilter, ("incident__service__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("incident__service__team", "owner")
    search_fields = ("title", "incident__title", "executive_summary", "root_cause")
    ordering = ("-created_at", "-id")
    inlines = (ActionItemInline, EventInline)
    fieldsets = (
        (None, {"fields": ("incident", "title", "state", "owner", "facilitator", "auto_drafted")}),
        ("Review", {"fields": ("review_due_at", "review_meeting_at", "submitted_at", "published_at")}),
        ("Summary", {"fields": ("executive_summary", "immediate_cause", "root_cause")}),
    )

    def get_queryset(self, request):
        return postmortems_managed_by(request.user).order_by(*self.get_ordering(request))

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or is_team_manager(request.user, obj.incident.service.team)
        )

    def has_add_permission(self, request):
        return False  # drafted when incidents resolve, or started on the incident's page

    def has_change_permission(self, request, obj=None):
        return False  # written on the engineer pages

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def view_on_site(self, obj):
        return reverse("postmortems:detail", kwargs={"pk": obj.pk})

    @admin.display(description="Incident", ordering="incident_id")
    def reference(self, obj: PostMortem) -> str:
        return obj.incident.reference

    @admin.display(description="Team", ordering="incident__service__team__name")
    def team(self, obj: PostMortem):
        return obj.incident.service.team

    @admin.display(description="Sev", ordering="incident__severity")
    def severity(self, obj: PostMortem) -> str:
        return obj.incident.severity

    @admin.display(description="Review overdue", boolean=True)
    def review_overdue(self, obj: PostMortem) -> bool:
        due = obj.review_due_at
        return obj.state == PostMortemState.DRAFT and due is not None and due < timezone.now()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{_name(obj)} ({obj.get_username()})"


class ReassignForm(forms.Form):
    owner = PersonChoiceField(queryset=get_user_model().objects.filter(is_active=True).order_by("username"))


ITEM_EDITABLE = ("title", "owner", "horizon", "due_date", "status", "wont_do_reason", "tracker_url", "description")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("title", "reference", "team", "owner", "due_date", "status", "overdue", "completed_at")
    list_filter = (
        "status", ActionItemOverdueFilter, ("owner", admin.RelatedOnlyFieldListFilter),
        ("due_date", admin.DateFieldListFilter), "horizon",
        ("postmortem__incident__service__team", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("postmortem__incident__service__team", "service__team", "owner")
    search_fields = ("title", "description", "owner__username", "owner__last_name", "postmortem__title")
    ordering = ("due_date", "id")
    actions = ("mark_done", "reassign")
    fields = ("postmortem", *ITEM_EDITABLE, "factor", "completed_at", "created_at", "updated_at")
    readonly_fields = ("postmortem", "factor", "completed_at", "created_at", "updated_at")
    autocomplete_fields = ()

    def get_queryset(self, request):
        return action_items_managed_by(request.user).order_by(*self.get_ordering(request))

    def _manages(self, request, obj) -> bool:
        if obj is None:
            return True
        # Alert hygiene items have no post-mortem: their service's team owns them.
        team = obj.postmortem.incident.service.team if obj.postmortem_id else obj.service.team
        return is_team_manager(request.user, team)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._manages(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_add_permission(self, request):
        return False  # action items are written in their post-mortem

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "tracker_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        # Never a plain save: the service applies the status rules and tells a new owner.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ITEM_EDITABLE}
        if not changes:
            return
        try:
            action_item_update(item=obj, user=request.user, **changes)
        except (ApplicationError, PermissionDenied) as exc:
            raise ServiceRefused(_refusal(exc)) from exc

    @admin.display(description="Incident", ordering="postmortem__incident_id")
    def reference(self, item: ActionItem) -> str:
        return item.source_label

    @admin.display(description="Team", ordering="postmortem__incident__service__team__name")
    def team(self, item: ActionItem):
        return item.postmortem.incident.service.team if item.postmortem_id else item.service.team

    @admin.display(description="Overdue", boolean=True)
    def overdue(self, item: ActionItem) -> bool:
        return item.is_overdue(timezone.localdate())

    def _run(self, request, queryset, call, done: str) -> None:
        succeeded, refused = 0, []
        for item in queryset:
            try:
                call(item)
            except (ApplicationError, PermissionDenied) as exc:
                refused.append(f"“{item.title}”: {_refusal(exc)}")
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} action item{'s' if succeeded != 1 else ''} {done}.",
                              messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Mark selected action items done", permissions=["change"])
    def mark_done(self, request, queryset):
        self._run(
            request, queryset.exclude(status=ActionItemStatus.DONE),
            lambda item: action_item_set_status(item=item, user=request.user, status=ActionItemStatus.DONE),
            "marked done",
        )

    @admin.action(description="Reassign selected action items…", permissions=["change"])
    def reassign(self, request, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            owner = form.cleaned_data["owner"]
            self._run(
                request, queryset,
                lambda item: action_item_reassign(item=item, user=request.user, owner=owner),
                f"reassigned to {_name(owner)}",
            )
            return None
        return TemplateResponse(request, "postmortems/admin_reassign.html", {
            **self.admin_site.each_context(request),
            "title": "Reassign action items",
            "opts": self.model._meta,
            "items": queryset,
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })
