"""Swap requests: read-only records with approve / decline as list actions and as buttons on the change page.

Both call services.swap_request_approve / swap_request_decline, the same functions the pages use; the
service's refusal (not accepted yet, already decided, the schedule changed…) becomes an error message.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from config.errors import ApplicationError
from oncall.admin.base import TeamScopedAdmin, refusal
from oncall.eligibility import display_name
from oncall.models import LIVE_SWAP_STATES, SwapRequest, SwapRequestEvent, SwapState
from oncall.services import swap_request_approve, swap_request_decline

DECISIONS = {
    "approve": (swap_request_approve, "approved"),
    "decline": (swap_request_decline, "declined"),
}


class SwapRequestEventInline(admin.TabularInline):
    model = SwapRequestEvent
    fields = ("at", "from_state", "to_state", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "history (append-only)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SwapRequest)
class SwapRequestAdmin(TeamScopedAdmin):
    change_form_template = "admin/oncall/swaprequest/change_form.html"
    team_lookup = "rotation__team"
    list_display = ("number", "rotation", "requester_name", "start", "end", "offered_to_label", "accepted_by_name",
                    "state", "decided_by_name")
    list_display_links = ("number", "rotation")
    list_filter = ("state", ("rotation__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("rotation__team", "requester", "offered_to", "accepted_by", "decided_by")
    search_fields = ("requester__username", "requester__first_name", "requester__last_name",
                     "accepted_by__username", "note")
    date_hierarchy = "start"
    ordering = ("-created_at", "-id")
    inlines = (SwapRequestEventInline,)
    actions = ("approve_selected", "decline_selected")
    fields = ("rotation", "state", "requester_name", "start", "end", "offered_to_label", "note", "accepted_by_name",
              "accepted_at", "decided_by_name", "decided_at", "closed_at", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # engineers ask for swaps on their pages

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who covered whom stays

    # -- deciding

    def _decide(self, request, swap: SwapRequest, decision: str, note: str = "") -> bool:
        service, done = DECISIONS[decision]
        try:
            service(swap=swap, user=request.user, note=note)
        except (ApplicationError, PermissionDenied) as exc:
            self.message_user(request, f"Swap #{swap.pk}: {refusal(exc)}", messages.ERROR)
            return False
        self.log_change(request, swap, f"{done.capitalize()}." + (f" {note}" if note else ""))
        return True

    def _decide_all(self, request, queryset, decision: str) -> None:
        done = [swap.pk for swap in queryset.order_by("pk") if self._decide(request, swap, decision)]
        if done:
            numbers = ", ".join(f"#{pk}" for pk in done)
            self.message_user(request, f"{DECISIONS[decision][1].capitalize()}: swap {numbers}.", messages.SUCCESS)

    @admin.action(description="Approve the selected swaps (creates the overrides)", permissions=["change"])
    def approve_selected(self, request, queryset):
        self._decide_all(request, queryset, "approve")

    @admin.action(description="Decline the selected swaps", permissions=["change"])
    def decline_selected(self, request, queryset):
        self._decide_all(request, queryset, "decline")

    def get_urls(self):
        decide = path(
            "<path:object_id>/decide/", self.admin_site.admin_view(self.decide_view), name="oncall_swaprequest_decide"
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        swap = self.get_object(request, unquote(object_id))
        if swap is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, swap):
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        if decision not in DECISIONS:
            self.message_user(request, "Choose approve or decline.", messages.ERROR)
        elif self._decide(request, swap, decision, request.POST.get("note", "").strip()):
            swap.refresh_from_db()
            self.message_user(request, f"Swap #{swap.pk} is now {swap.get_state_display().lower()}.",
                              messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:oncall_swaprequest_change", args=[swap.pk], current_app=self.admin_site.name)
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            can_decide = self.has_change_permission(request, obj)
            context.update(
                decide_url=reverse("admin:oncall_swaprequest_decide", args=[obj.pk], current_app=self.admin_site.name),
                can_approve=can_decide and obj.state == SwapState.ACCEPTED,
                can_decline=can_decide and obj.state in LIVE_SWAP_STATES,
                # Nothing on the page is editable: decisions go through the buttons.
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False,
                show_delete=False,
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # -- columns

    @admin.display(description="Swap", ordering="pk")
    def number(self, swap: SwapRequest) -> str:
        return f"#{swap.pk}"

    @admin.display(description="Requester", ordering="requester__first_name")
    def requester_name(self, swap: SwapRequest) -> str:
        return display_name(swap.requester)

    @admin.display(description="Offered to", ordering="offered_to__first_name")
    def offered_to_label(self, swap: SwapRequest) -> str:
        return display_name(swap.offered_to) if swap.offered_to else "anyone in the rotation"

    @admin.display(description="Accepted by", ordering="accepted_by__first_name")
    def accepted_by_name(self, swap: SwapRequest) -> str:
        return display_name(swap.accepted_by) if swap.accepted_by else "—"

    @admin.display(description="Decided by", ordering="decided_by__first_name")
    def decided_by_name(self, swap: SwapRequest) -> str:
        return display_name(swap.decided_by) if swap.decided_by else "—"
