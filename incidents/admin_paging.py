"""The incident admin's paging parts: pages inline, the acknowledgement SLA column and filter, and the
"page a responder" form on the change page. Like the rest of the admin, every write calls a service."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from config.errors import ApplicationError
from incidents import paging_selectors
from incidents.forms import DirectPageForm
from incidents.models import Incident, IncidentState, Page
from incidents.services import paging


class PageInline(admin.TabularInline):
    """Pages are written by the paging services only: shown, never added, changed or deleted here."""

    model = Page
    extra = 0
    can_delete = False
    fields = ("paged_at", "kind", "cycle", "level", "target_label", "recipient_names", "paged_by", "note")
    readonly_fields = fields
    verbose_name_plural = "pages"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paged_by").order_by("paged_at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Recipients")
    def recipient_names(self, page: Page) -> str:
        return page.recipient_names


class AckSlaListFilter(admin.SimpleListFilter):
    title = "acknowledgement SLA"
    parameter_name = "ack_sla"

    def lookups(self, request, model_admin):
        return (("breached", "Breached"), ("running", "Running (unacknowledged)"), ("met", "Met"))

    def queryset(self, request, queryset):
        if self.value() == "breached":
            return queryset.filter(ack_breached_at__isnull=False)
        if self.value() == "running":
            return queryset.filter(state=IncidentState.DETECTED, ack_breached_at__isnull=True)
        if self.value() == "met":
            return queryset.filter(ack_breached_at__isnull=True).exclude(state=IncidentState.DETECTED)
        return queryset


@admin.display(description="Ack SLA", ordering="ack_breached_at")
def ack_sla(incident: Incident) -> str:
    if incident.ack_breached_at:
        return "⚠ breached"
    if incident.state == IncidentState.DETECTED:
        return "running"
    return "met"


class PagingAdminMixin:
    """For IncidentAdmin: a paging overview and a "page a responder" form on the change page."""

    def get_urls(self):
        page = path(
            "<path:object_id>/page/", self.admin_site.admin_view(self.page_view), name="incidents_incident_page"
        )
        return [page, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context["paging"] = paging_selectors.incident_paging(obj)
            context["deliveries"] = list(paging_selectors.incident_notifications(obj))
            if obj.is_open and self.has_change_permission(request, obj):
                context["page_url"] = reverse(
                    "admin:incidents_incident_page", args=[obj.pk], current_app=self.admin_site.name
                )
                context["page_form"] = DirectPageForm(auto_id="id_page_%s")
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def page_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        incident = self.get_object(request, unquote(object_id))
        if incident is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        form = DirectPageForm(request.POST)
        if not form.is_valid():
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            self.message_user(request, " ".join(errors), messages.ERROR)
        else:
            try:
                page = paging.incident_page_responder(incident=incident, user=request.user, **form.service_kwargs())
            except (ApplicationError, PermissionDenied) as exc:
                message = exc.message if isinstance(exc, ApplicationError) else (str(exc) or "You may not do that.")
                self.message_user(request, message, messages.ERROR)
            else:
                self.log_change(request, incident, f"Paged {page.recipient_names}.")
                self.message_user(request, f"Paged {page.recipient_names}.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:incidents_incident_change", args=[incident.pk], current_app=self.admin_site.name)
        )
