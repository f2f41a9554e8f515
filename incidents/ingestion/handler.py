"""Django's WSGI handler with a short lane for the ingestion endpoints (config/wsgi.py).

For every request Django's handler sends request_started and request_finished, whose receivers walk every
configured database and cache connection through asgiref's context-local storage, and runs the whole middleware
stack. In an alert storm that framing is about a third of the Python time of an event (README "Performance").
For a path under /integrations/ that names an ingestion view, this handler instead:

- keeps the thread's database connections the way those signals would (closed when unusable or past
  CONN_MAX_AGE, before and after the request; query logs cleared) — the ingestion code uses no cache;
- runs SecurityMiddleware (HTTPS redirect, HSTS and the other security headers) and the view, each wrapped in
  Django's own exception-to-response conversion, so a DisallowedHost is a 400 and an unexpected error a logged
  500 exactly as elsewhere;
- logs 4xx/5xx answers like Django's handler (the django.request logger).

Every other path goes through Django's handler unchanged. Where Django's own handlers run (ASGI, the test
client), IngestionMiddleware routes the same paths to the same views.

What the short lane does not do: send request_started/request_finished, so anything listening to them (an APM
or error tracker hooked on those signals or on WSGIHandler.__call__) does not see ingestion requests. Set
INGESTION_SHORT_LANE=false to serve them through Django's full handler instead (some 5-10 % less throughput
in an alert storm).
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_path_info
from django.db import connections
from django.middleware.security import SecurityMiddleware
from django.urls import set_script_prefix
from django.utils.log import log_response

from incidents.ingestion.routing import ingestion_match, serve


def _view(request):
    return serve(request, request.resolver_match)


def _connection_housekeeping() -> None:
    # What request_started/request_finished do (reset_queries, close_old_connections) for every connection this
    # thread has opened, without the signal dispatch. A connection inside a transaction (a test's) is left
    # alone, as Django's test client does.
    for db in connections.all(initialized_only=True):
        if db.in_atomic_block:
            continue
        db.queries_log.clear()
        db.close_if_unusable_or_obsolete()


class WatchkeeperWSGIHandler(WSGIHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ingestion_chain = convert_exception_to_response(
            SecurityMiddleware(convert_exception_to_response(_view))
        )

    def __call__(self, environ, start_response):
        match = None
        if settings.INGESTION_SHORT_LANE:
            try:
                match = ingestion_match(get_path_info(environ) or "/")
            except Exception:  # a broken URL configuration: Django's handler reports it as it would anywhere
                match = None
        if match is None:
            return super().__call__(environ, start_response)
        _connection_housekeeping()
        request = WSGIRequest(environ)
        set_script_prefix(request.META["SCRIPT_NAME"])
        request.resolver_match = match
        try:
            response = self._ingestion_chain(request)
            if response.status_code >= 400:
                log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
            headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
            start_response(f"{response.status_code} {response.reason_phrase}", headers)
            if response.streaming:  # not what these views answer; served as Django would, close() and all
                return response
            # The body itself, not the response: a WSGI server calls close() on what it is given, and
            # HttpResponse.close() would send request_finished after all.
            return [response.content]
        finally:
            request.close()
            _connection_housekeeping()
