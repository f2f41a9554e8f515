from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config.celery import app as celery_app


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any failure means "down"; report it rather than 500
        return f"down: {exc.__class__.__name__}"


# Bound every step by the 2 s budget: without socket timeouts a blackholed Redis would hang the check for
# the operating system's TCP timeout (minutes), not fail it.
BROKER_TIMEOUT = 2


def _broker() -> str:
    try:
        with celery_app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT,
            transport_options={"socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": BROKER_TIMEOUT},
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        return "ok"
    except Exception as exc:
        return f"down: {exc.__class__.__name__}"


@never_cache
def healthz(request):
    checks = {"database": _database(), "broker": _broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)
