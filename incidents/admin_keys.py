"""The admin side of objects whose secret key is kept only as a hash (integrations, heartbeat monitors): after an
add or a key rotation, one page shows the new keys (never cached, never shown again)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse


class KeyShownOnceMixin:
    """For a ModelAdmin whose save_model puts a created object's key on `request.new_key`.

    Subclasses name their page's template and title, and say what a row of it holds (`key_rows`)."""

    key_template: str
    created_title: str

    def key_rows(self, pairs: list[tuple]) -> list[dict]:
        raise NotImplementedError

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(request, "new_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        return self.keys_page(request, [(obj, key)], self.created_title)

    def rotate_each(self, request, queryset, rotate, title: str):
        """The rotate action: `rotate(user, obj)` for each selected object (those refused are named), then the page."""
        rotated = []
        for obj in queryset:
            try:
                rotated.append(rotate(request.user, obj))
            except PermissionDenied as exc:
                self.message_user(request, f"{obj}: {exc}", messages.ERROR)
        if not rotated:
            return HttpResponseRedirect(request.get_full_path())
        return self.keys_page(request, rotated, title)

    def keys_page(self, request, pairs: list[tuple], title: str) -> TemplateResponse:
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": opts,
            "rows": self.key_rows(pairs),
            "changelist_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=self.admin_site.name
            ),
        }
        response = TemplateResponse(request, self.key_template, context)
        response["Cache-Control"] = "no-store"  # the page holds secrets
        return response
