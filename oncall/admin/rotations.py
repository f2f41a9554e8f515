"""Rotations with their ordered members, a preview of the published six weeks, and conflict resolution.

Members are written through the services (rotation_member_add / _remove / _reorder), never by the inline
formset itself: the services keep positions dense, lock the team's schedule and enforce eligibility. The
formset's clean() asks oncall.eligibility first, so a missing requirement shows on the row it concerns.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from config.errors import ApplicationError
from oncall.admin.base import (
    RefusalAsMessageMixin,
    ScopedInlineMixin,
    TeamScopedAdmin,
    feed_url,
    keep_message_once,
    limit_people,
    managed_teams,
    refusal,
    refused,
    team_people,
)
from oncall.eligibility import display_name, eligibility_error, missing_requirements
from oncall.models import RESPONDER_ROLES, Rotation, RotationMember, TeamMembership
from oncall.schedule import on_call
from oncall.selectors import rotation_size_warning
from oncall.services import (
    rotation_calendar_token_rotate,
    rotation_create,
    rotation_member_add,
    rotation_member_remove,
    rotation_member_reorder,
    shift_conflict_resolve,
)
from oncall.views.published import schedule_rows

UNORDERED = 10**6  # new rows without an order go last, in the order they were entered


class RotationMemberForm(forms.ModelForm):
    order = forms.IntegerField(
        min_value=1, required=False, label="Order",
        help_text="1 takes the first shift; leave empty to add at the end.",
        widget=forms.NumberInput(attrs={"style": "width: 5em"}),
    )

    class Meta:
        model = RotationMember
        fields = ("user",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("order", self.instance.position + 1)


class RotationMemberFormSet(BaseInlineFormSet):
    def _rows(self):
        """The forms that will be kept, as (form, user)."""
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)) or data.get("user") is None:
                continue
            yield form, data["user"]

    def clean(self):
        super().clean()
        rotation = self.instance
        if rotation.team_id is None:
            return  # the rotation form itself says a team is missing
        responders = set(
            TeamMembership.objects.filter(team_id=rotation.team_id, role__in=RESPONDER_ROLES)
            .values_list("user_id", flat=True)
        )
        for form, user in self._rows():
            if form.instance.pk is not None and "user" not in form.changed_data:
                continue  # a member already on the rotation: nothing new to check
            if user.pk not in responders:
                form.add_error("user", f"{display_name(user)} is not a responder in {rotation.team}.")
                continue
            missing = missing_requirements(user)
            if missing:
                form.add_error("user", eligibility_error(user, missing).message)


class RotationMemberInline(ScopedInlineMixin, admin.TabularInline):
    model = RotationMember
    form = RotationMemberForm
    formset = RotationMemberFormSet
    fields = ("user", "order")
    extra = 1
    ordering = ("position",)
    verbose_name = "member"
    verbose_name_plural = "members, in rotation order"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        teams = [obj.team_id] if obj is not None and obj.team_id else managed_teams(request)
        limit_people(formset.form.base_fields["user"], team_people(teams, responders_only=True))
        return formset


class RotationForm(forms.ModelForm):
    class Meta:
        model = Rotation
        fields = ("team", "name", "kind", "shift_length", "handoff_weekday", "handoff_time", "start_date")
        help_texts = {"shift_length": "e.g. “7 00:00:00” for the guide's one week."}


@admin.register(Rotation)
class RotationAdmin(RefusalAsMessageMixin, TeamScopedAdmin):
    form = RotationForm
    change_form_template = "admin/oncall/rotation/change_form.html"
    list_display = ("name", "team", "kind", "member_count", "shift_length", "handoff", "on_call_now", "size_ok")
    list_filter = ("kind", ("team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("team",)
    search_fields = ("name", "team__name")
    ordering = ("team__name", "kind")
    inlines = (RotationMemberInline,)
    actions = ("rotate_calendar_urls",)
    fieldsets = (
        (None, {"fields": ("team", "name", "kind")}),
        ("Cadence", {
            "fields": ("shift_length", "handoff_weekday", "handoff_time", "start_date"),
            "description": "The guide: one-week shifts, handing off Monday 09:00 in the team's time zone.",
        }),
        ("Calendar", {"fields": ("calendar_feed",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("rotation_members", distinct=True))

    def get_readonly_fields(self, request, obj=None):
        # Moving a rotation to another team would strand its members; create a new one instead.
        return ("calendar_feed", "team") if obj is not None else ("calendar_feed",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = managed_teams(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # -- saving: through the services

    def save_model(self, request, obj, form, change):
        if change:
            # Cadence and name only (the team is read-only); the form validated the constraints.
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        try:
            created = rotation_create(
                team=data["team"], name=data["name"], kind=data["kind"], start_date=data["start_date"],
                shift_length=data["shift_length"], handoff_weekday=data["handoff_weekday"],
                handoff_time=data["handoff_time"],
            )
        except ApplicationError as exc:
            raise refused(exc) from exc
        obj.pk, obj.calendar_token, obj.created_at = created.pk, created.calendar_token, created.created_at
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not RotationMember:
            return super().save_formset(request, form, formset, change)
        try:
            self._save_members(formset)
        except (ApplicationError, PermissionDenied) as exc:
            raise refused(exc) from exc

    def _save_members(self, formset) -> None:
        rotation = formset.instance
        user_model = get_user_model()
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        kept = []
        for index, form in enumerate(formset.forms):
            existing = form.instance.pk is not None
            if not existing and not form.has_changed():
                continue
            previous = user_model.objects.get(pk=form.initial["user"]) if existing else None
            if formset.can_delete and formset._should_delete_form(form):
                if existing:
                    rotation_member_remove(rotation=rotation, user=previous)
                    formset.deleted_objects.append(form.instance)
                continue
            user = form.cleaned_data["user"]
            if existing and user.pk != previous.pk:
                rotation_member_remove(rotation=rotation, user=previous)
                formset.changed_objects.append((rotation_member_add(rotation=rotation, user=user), ["user"]))
            elif not existing:
                formset.new_objects.append(rotation_member_add(rotation=rotation, user=user))
            order = form.cleaned_data.get("order")
            # At equal numbers, a row the manager just numbered goes before one that kept its number.
            moved = 0 if "order" in form.changed_data else 1
            kept.append((order if order is not None else UNORDERED, moved, index, user))
        wanted = [row[-1] for row in sorted(kept, key=lambda row: row[:3])]
        current = list(rotation.rotation_members.order_by("position").values_list("user_id", flat=True))
        if [u.pk for u in wanted] != current and {u.pk for u in wanted} == set(current):
            rotation_member_reorder(rotation=rotation, users=wanted)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warning = rotation_size_warning(form.instance)
        if warning:
            messages.warning(request, warning)

    # -- the change page: size warning, six-week preview, conflict resolution

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            rotation = self.get_object(request, unquote(object_id))
            warning = rotation_size_warning(rotation) if rotation is not None else None
            if warning:
                keep_message_once(request, messages.WARNING, warning)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            can_resolve = self.has_change_permission(request, obj)
            now = on_call(obj)
            context.update(
                preview_rows=schedule_rows(obj, proposals=can_resolve),
                can_resolve=can_resolve,
                on_call_now=now.primary_shift or now.secondary_shift,
                resolve_url=reverse("admin:oncall_rotation_resolve", args=[obj.pk], current_app=self.admin_site.name),
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_urls(self):
        resolve = path(
            "<path:object_id>/resolve-conflict/",
            self.admin_site.admin_view(self.resolve_conflict_view),
            name="oncall_rotation_resolve",
        )
        return [resolve, *super().get_urls()]

    def resolve_conflict_view(self, request, object_id):
        """Put the next eligible member on call for a conflicted shift (services.shift_conflict_resolve)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        rotation = self.get_object(request, unquote(object_id))
        if rotation is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, rotation):
            raise PermissionDenied
        try:
            shift_start = dt.datetime.fromisoformat(request.POST.get("shift_start", ""))
        except ValueError:
            self.message_user(request, "Choose a shift to resolve.", messages.ERROR)
        else:
            try:
                override = shift_conflict_resolve(rotation=rotation, shift_start=shift_start, actor=request.user)
            except (ApplicationError, PermissionDenied) as exc:
                self.message_user(request, refusal(exc), messages.ERROR)
            else:
                text = (f"{display_name(override.user)} now covers {rotation.name} from "
                        f"{override.start:%Y-%m-%d %H:%M} to {override.end:%Y-%m-%d %H:%M} UTC ({override.reason}).")
                self.log_change(request, rotation, f"Resolved a conflict: {text}")
                self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:oncall_rotation_change", args=[rotation.pk], current_app=self.admin_site.name)
        )

    # -- actions and columns

    @admin.action(description="Give the selected rotations new calendar URLs (old ones stop working)",
                  permissions=["change"])
    def rotate_calendar_urls(self, request, queryset):
        for rotation in queryset:
            rotation_calendar_token_rotate(rotation=rotation)
        self.message_user(request, f"{queryset.count()} calendar URL(s) replaced.", messages.SUCCESS)

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, rotation: Rotation) -> int:
        return rotation._member_count

    @admin.display(description="Hand-off")
    def handoff(self, rotation: Rotation) -> str:
        return f"{rotation.get_handoff_weekday_display()} {rotation.handoff_time:%H:%M} ({rotation.team.time_zone})"

    @admin.display(description="On call now")
    def on_call_now(self, rotation: Rotation) -> str:
        now = on_call(rotation)
        shift = now.primary_shift or now.secondary_shift
        return display_name(shift.user) if shift else "—"

    @admin.display(description="Size (guide: 4–12)", boolean=True)
    def size_ok(self, rotation: Rotation) -> bool:
        return rotation_size_warning(rotation) is None

    @admin.display(description="Calendar feed (iCalendar)")
    def calendar_feed(self, rotation: Rotation) -> str:
        if rotation is None or not rotation.pk:
            return "Available once the rotation is saved."
        url = feed_url("calendar_rotation", rotation.calendar_token)
        return format_html('<a href="{}">{}</a><br><span class="help">Anyone with this URL sees the '
                           "rotation's shifts; use the list action to replace it.</span>", url, url)
