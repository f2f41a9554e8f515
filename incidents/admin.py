"""Admin for managers. Every write goes through incidents.services, exactly like the pages and the API:
the admin shows and validates forms, the services check permissions, keep object permissions in step,
stamp times and write the timeline. Querysets come from incidents.selectors, so an incident the user may
not see does not exist here either.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from config.errors import ApplicationError
from incidents import admin_insights  # noqa: F401  (the insights dashboard at /admin/insights/)
from incidents.admin_heartbeat_summary import heartbeat_summary
from incidents.admin_lists import IncidentListAdminMixin, VisibleServiceListFilter, VisibleTeamListFilter
from incidents.admin_maintenance_summary import maintenance_summary
from incidents.admin_paging import AckSlaListFilter, PageInline, PagingAdminMixin, ack_sla
from incidents.models import Incident, RoleAssignment, Service, SeverityPolicy, StatusUpdate, TimelineEntry
from incidents.models.roles import IncidentRole
from incidents.selectors import (
    can_act_on_incident,
    can_view_incident,
    incident_actions_for,
    incidents_visible_to,
    services_declarable_by,
)
from incidents.services import (
    incident_change_severity,
    incident_declare,
    incident_transition,
    incident_update,
    service_create,
    service_update,
)
from incidents.services.declare import EDITABLE_FIELDS
from incidents.services.transitions import ACTION_LABELS
from oncall.models import EscalationPolicy
from oncall.selectors import is_team_manager, teams_managed_by


class ServiceRefused(Exception):
    """A service refused a save the form had accepted; shown as an error message, nothing is saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _refusal(exc: Exception) -> str:
    return exc.message if isinstance(exc, ApplicationError) else (str(exc) or "You may not do that.")


class RefusalAsMessageMixin:
    """Turn ServiceRefused raised in save_model into an error message. Raised inside the admin's atomic
    block, it rolls back anything the save had already written."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# --- Services and severity policies -------------------------------------------------------------


@admin.register(Service)
class ServiceAdmin(RefusalAsMessageMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "team", "is_active", "runbook_reviewed_at")
    list_filter = ("is_active", ("team", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "slug", "description")
    list_select_related = ("team",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("maintenance", "heartbeats")
    fieldsets = (
        (None, {"fields": ("name", "slug", "team", "is_active", "description")}),
        ("Paging", {"fields": ("escalation_policy", "paging_hours", "maintenance", "heartbeats")}),
        ("Runbook", {"fields": ("runbook", "runbook_url", "runbook_reviewed_at")}),
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("team")
        if request.user.is_superuser:
            return qs
        return qs.filter(team__in=teams_managed_by(request.user))

    @admin.display(description="Heartbeats")
    def heartbeats(self, service: Service):
        return heartbeat_summary(service)

    @admin.display(description="Maintenance windows")
    def maintenance(self, service: Service):
        return maintenance_summary(service)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        policy_field = form.base_fields.get("escalation_policy")
        if policy_field is not None:
            # The service's team's policies (Service.clean rejects another team's); on a new service, those
            # of the teams the user manages, and the clean check decides once the team is chosen.
            teams = [obj.team_id] if obj is not None else teams_managed_by(request.user)
            policy_field.queryset = EscalationPolicy.objects.filter(team__in=teams).select_related("team")
            policy_field.empty_label = "The team's default policy"
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "runbook_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = teams_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or is_team_manager(request.user, obj.team))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or is_team_manager(request.user, obj.team)
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Never a plain save: the services grant (or move) the team's object permissions.
        fields = dict(form.cleaned_data)
        try:
            if change:
                saved = service_update(user=request.user, service=obj, **fields)
            else:
                saved = service_create(user=request.user, **fields)
        except PermissionDenied as exc:
            raise ServiceRefused(_refusal(exc)) from exc
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False


class SeverityPolicyForm(forms.ModelForm):
    required_roles = forms.MultipleChoiceField(
        choices=IncidentRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Roles a P-level incident should have filled; the incident page lists missing ones.",
    )

    class Meta:
        model = SeverityPolicy
        fields = (
            "severity", "description", "ack_target", "ack_business_hours", "update_cadence", "required_roles",
            "page_leadership", "page_outside_working_hours",
        )


@admin.register(SeverityPolicy)
class SeverityPolicyAdmin(admin.ModelAdmin):
    """The four policies are seeded by a migration; managers tune them, nobody adds or deletes them."""

    form = SeverityPolicyForm
    list_display = (
        "severity", "description", "ack_target", "ack_business_hours", "update_cadence", "page_leadership",
        "page_outside_working_hours",
    )
    readonly_fields = ("severity",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Incidents ----------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    """A record that is written by services only: shown, never added, changed or deleted here."""

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


class TimelineEntryInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ("at", "kind", "actor", "from_state", "to_state", "note")
    verbose_name_plural = "timeline (append-only)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("at", "id")


class RoleAssignmentInline(ReadOnlyInline):
    model = RoleAssignment
    fk_name = "incident"
    fields = ("role", "user", "assigned_by", "assigned_at", "relieved_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "assigned_by")


class StatusUpdateInline(ReadOnlyInline):
    model = StatusUpdate
    fields = ("posted_at", "audience", "state", "body", "posted_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("posted_by")


TIMESTAMPS = (
    "detected_at", "ack_deadline", "ack_breached_at", "acknowledged_at", "investigating_at", "identified_at",
    "resolving_at", "resolved_at", "closed_at", "next_update_due_at", "updated_at",
)
ESCALATION_FIELDS = (
    "escalation_policy_name", "escalation_cycle", "escalation_started_at", "next_escalation_at", "escalation_ended_at",
    "paging_deferred_until", "paging_held_until", "maintenance_window",
)


@admin.register(Incident)
class IncidentAdmin(IncidentListAdminMixin, PagingAdminMixin, RefusalAsMessageMixin, admin.ModelAdmin):
    change_form_template = "admin/incidents/incident/change_form.html"
    list_display = (
        "reference", "title", "service", "team", "severity", "state", "detected", "acknowledged_by", "ack_due",
        ack_sla,
    )
    list_display_links = ("reference", "title")
    list_filter = (
        "state",
        "severity",
        AckSlaListFilter,
        ("detected_at", admin.DateFieldListFilter),
        ("service", VisibleServiceListFilter),
        ("service__team", VisibleTeamListFilter),
    )
    list_select_related = ("service__team", "acknowledged_by")
    search_fields = ("title", "description", "dedup_key")
    ordering = ("-detected_at", "-id")
    inlines = (RoleAssignmentInline, StatusUpdateInline, PageInline, TimelineEntryInline)
    add_fieldsets = (
        (None, {"fields": ("service", "title", "severity", "description", "impact_started_at", "war_room")}),
    )
    fieldsets = (
        (None, {"fields": ("title", "service", "severity", "state", "description", "war_room")}),
        ("Resolution", {"fields": ("resolution_summary", "false_alarm")}),
        ("Times", {"fields": ("impact_started_at",) + TIMESTAMPS + ("acknowledged_by",)}),
        ("Escalation", {"classes": ("collapse",), "fields": ESCALATION_FIELDS}),
        ("Origin", {"classes": ("collapse",), "fields": ("source", "dedup_key", "declared_by")}),
    )

    # -- who sees what

    def get_queryset(self, request):
        return incidents_visible_to(request.user).order_by(*self.get_ordering(request))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or can_view_incident(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or can_act_on_incident(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # -- the form

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # state is a protected FSM field: it only moves through the transition buttons.
        return ("state", *TIMESTAMPS, "acknowledged_by", "source", "dedup_key", "declared_by", *ESCALATION_FIELDS)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        service_field = form.base_fields.get("service")
        if service_field is not None:
            # Only services the user may declare on; an incident keeps showing its current service.
            allowed = Q(pk__in=services_declarable_by(request.user).values("pk"))
            if obj is not None:
                allowed |= Q(pk=obj.service_id)
            service_field.queryset = Service.objects.filter(allowed).select_related("team")
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                incident, _ = incident_declare(
                    user=request.user,
                    service=data["service"],
                    title=data["title"],
                    severity=data["severity"],
                    description=data.get("description", ""),
                    impact_started_at=data.get("impact_started_at"),
                    war_room=data.get("war_room", ""),
                )
                obj.pk = incident.pk
                obj._state.adding = False
                return
            if "severity" in form.changed_data:
                incident_change_severity(incident=obj, user=request.user, severity=data["severity"])
            changes = {name: data[name] for name in (*EDITABLE_FIELDS, "service") if name in data}
            incident_update(incident=obj, user=request.user, **changes)
        except (ApplicationError, PermissionDenied) as exc:
            raise ServiceRefused(_refusal(exc)) from exc

    # -- lifecycle buttons

    def get_urls(self):
        transition = path(
            "<path:object_id>/transition/",
            self.admin_site.admin_view(self.transition_view),
            name="incidents_incident_transition",
        )
        return [transition, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context["transition_url"] = reverse(
                "admin:incidents_incident_transition", args=[obj.pk], current_app=self.admin_site.name
            )
            context["transition_actions"] = [
                (action, ACTION_LABELS[action])
                for action, ready in incident_actions_for(request.user, obj).items()
                if ready
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def transition_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        incident = self.get_object(request, unquote(object_id))
        if incident is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        action = request.POST.get("action", "")
        try:
            incident = incident_transition(
                incident=incident, user=request.user, action=action, note=request.POST.get("note", "").strip()
            )
        except (ApplicationError, PermissionDenied) as exc:
            self.message_user(request, _refusal(exc), messages.ERROR)
        else:
            state = incident.get_state_display().lower()
            self.log_change(request, incident, f"{ACTION_LABELS[action]}: now {state}.")
            self.message_user(request, f"{incident.reference} is now {state}.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:incidents_incident_change", args=[incident.pk], current_app=self.admin_site.name)
        )

    # -- list columns

    @admin.display(description="Reference", ordering="pk")
    def reference(self, incident: Incident) -> str:
        return incident.reference

    @admin.display(description="Team", ordering="service__team__name")
    def team(self, incident: Incident):
        return incident.service.team
# The Integration and HeartbeatMonitor admins: modules of their own.
from incidents import admin_heartbeats, admin_integrations, admin_maintenance  # noqa: E402, F401
