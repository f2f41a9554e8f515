"""The notification outbox, read-only: what Watchkeeper told whom, and whether it went out."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from oncall.admin.base import TeamScopedAdmin
from oncall.eligibility import display_name
from oncall.models import Notification
from oncall.services import notification_retry

_FIELD_NAMES = tuple(field.name for field in Notification._meta.fields if field.name != "id")


@admin.register(Notification)
class NotificationAdmin(TeamScopedAdmin):
    team_lookup = "recipient__memberships__team"
    list_display = ("created_at", "person", "channel", "subject", "status", "attempts", "sent_at")
    # Built from the model, so the columns added with paging delivery (kind, topic, data, attempt times) show
    # without this admin having to move in step with them.
    list_filter = tuple(name for name in ("status", "kind", "channel") if name in _FIELD_NAMES)
    list_select_related = ("recipient",)
    search_fields = ("subject", "recipient__username", "recipient__first_name", "recipient__last_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = _FIELD_NAMES
    readonly_fields = fields
    actions = ["retry_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Recipient", ordering="recipient__first_name")
    def person(self, notification: Notification) -> str:
        return display_name(notification.recipient)

    @admin.action(description="Send the selected failed notifications again")
    def retry_selected(self, request, queryset):
        retried = 0
        for notification in queryset:
            try:
                notification_retry(notification=notification, user=request.user)
            except (ApplicationError, PermissionDenied) as exc:
                messages.error(request, f"#{notification.pk}: {exc}")
            else:
                retried += 1
        if retried:
            messages.success(request, f"{retried} notification(s) queued for delivery again.")
