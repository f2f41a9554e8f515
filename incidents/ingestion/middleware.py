"""Serve the ingestion endpoints before the browser-oriented middleware.

The sessions, CSRF, authentication, messages and clickjacking middleware do nothing for a monitoring tool's
POST (no cookies, a key instead of a login, a JSON answer), yet cost about a fifth of an event's CPU time, and
resolving the path through every URL pattern of the site another few percent. Placed right after
SecurityMiddleware (which keeps redirecting to HTTPS and adding HSTS), this hands /integrations/… straight to
the ingestion views through their own small URL conf; everything else goes down the stack as before.
The host is still checked against ALLOWED_HOSTS, as CommonMiddleware would.
"""

from __future__ import annotations

from django.urls import Resolver404, get_resolver, reverse


class IngestionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix: str | None = None
        self.resolver = get_resolver("incidents.ingestion_urls")

    def _prefix(self) -> str:
        # Where config/urls.py includes the ingestion URLs ("/integrations/"), whatever it is.
        if self.prefix is None:
            self.prefix = reverse("ingestion:alertmanager").removesuffix("alertmanager/")
        return self.prefix

    def __call__(self, request):
        prefix = self._prefix()
        if not request.path_info.startswith(prefix):
            return self.get_response(request)
        try:
            match = self.resolver.resolve(request.path_info[len(prefix) - 1:])  # from the prefix's last /
        except Resolver404:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a host not in ALLOWED_HOSTS
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
