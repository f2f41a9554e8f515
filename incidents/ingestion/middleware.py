"""Serve the ingestion endpoints before the browser-oriented middleware.

The sessions, CSRF, authentication, messages and clickjacking middleware do nothing for a monitoring tool's
POST (no cookies, a key instead of a login, a JSON answer), yet cost about a fifth of an event's CPU time, and
resolving the path through every URL pattern of the site another few percent. Placed right after
SecurityMiddleware (which keeps redirecting to HTTPS and adding HSTS), this hands /integrations/… straight to
the ingestion views through their own small URL conf; everything else goes down the stack as before.
The host is still checked against ALLOWED_HOSTS, as CommonMiddleware would.

Under gunicorn (config/wsgi.py) these paths do not even get here: the WSGI handler's short lane
(incidents/ingestion/handler.py) serves them with SecurityMiddleware alone. This middleware serves them wherever
Django's own handlers run: ASGI, the test client.
"""

from __future__ import annotations

from incidents.ingestion.routing import ingestion_match, serve


class IngestionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = ingestion_match(request.path_info)
        if match is None:
            return self.get_response(request)
        return serve(request, match)
