"""The per-integration rate limit: events per minute, counted atomically across every web process.

The minute's count lives in one place every process shares: Redis (INGESTION_REDIS_URL, else a redis:// Celery
broker), one key per integration and minute incremented by an atomic INCRBY; without Redis (`make run` on
SQLite) on the integration's row, by one UPDATE … RETURNING. A process does not go there for every event: it
reserves a share of the minute's allowance at a time (1 event for limits up to 200 a minute, growing to 50 for
large limits) and spends it locally, so an alert storm costs one round trip per share, not per event.

Guarantee: the events accepted in a minute never exceed the limit — a share is only granted out of what is
left. A share reserved but not spent when the minute ends is not handed to anyone else, so a process may
refuse slightly early (by at most one share per process). Like PagerDuty's, it is a fixed one-minute window.

If Redis does not answer, the event is let through and a warning logged: losing alerts because the rate
limiter is down would be the wrong way round for an incident platform.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from incidents.ingestion.keys import IntegrationRef
from incidents.models import Integration

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
MAX_SHARE = 50

# INCRBY, and on a window's first reservation its expiry: one atomic command, one round trip.
RESERVE_SCRIPT = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return total
"""


@dataclass(slots=True)
class _Share:
    window: int
    left: int
    exhausted: bool  # the minute's allowance is spent: refuse without asking again


_shares: dict[int, _Share] = {}
_lock = threading.Lock()
_script = None
_script_url = None


def share_size(limit: int) -> int:
    return max(1, min(MAX_SHARE, limit // 200))


def rate_limit_allows(ref: IntegrationRef, *, now: float | None = None) -> bool:
    """Count one event for the integration; False when it is over its limit for this minute."""
    limit = ref.rate_limit_per_minute
    if not limit:
        return True
    window = int((now if now is not None else time.time()) // WINDOW_SECONDS)
    with _lock:
        share = _shares.get(ref.pk)
        if share is not None and share.window == window:
            if share.left > 0:
                share.left -= 1
                return True
            if share.exhausted:
                return False
    size = share_size(limit)
    total = _reserve(ref, window, size)
    if total is None:
        return True
    granted = max(0, min(size, limit - (total - size)))
    with _lock:
        _shares[ref.pk] = _Share(window=window, left=max(granted - 1, 0), exhausted=granted < size)
    return granted > 0


def rate_limit_forget() -> None:
    """Drop this process's reserved shares (tests; a changed limit applies from the next minute otherwise)."""
    with _lock:
        _shares.clear()


def _reserve(ref: IntegrationRef, window: int, size: int) -> int | None:
    """Add `size` to the minute's count; the count after, or None when the counter cannot be reached."""
    script = _redis_script()
    if script is None:
        return _reserve_in_database(ref.pk, window, size)
    # The key hash, not the id: ids repeat across databases sharing one Redis (tests, staging).
    key = f"watchkeeper:ingest:rate:{ref.key_hash[:24]}:{window}"
    try:
        return int(script(keys=[key], args=[size, 2 * WINDOW_SECONDS]))
    except Exception:  # redis-py's connection and timeout errors
        logger.warning("Rate limit not counted: Redis at %s did not answer", _script_url)
        return None


def _redis_script():
    global _script, _script_url
    url = getattr(settings, "INGESTION_REDIS_URL", "")
    if not url:
        return None
    if _script is None or url != _script_url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        _script, _script_url = client.register_script(RESERVE_SCRIPT), url
    return _script


def _reserve_in_database(integration_id: int, window: int, size: int) -> int:
    table = connection.ops.quote_name(Integration._meta.db_table)
    with connection.cursor() as cursor:  # one statement: in autocommit mode, a transaction of its own
        cursor.execute(
            f"UPDATE {table} SET rate_window = %s, "
            f"rate_count = CASE WHEN rate_window = %s THEN rate_count + %s ELSE %s END "
            f"WHERE id = %s RETURNING rate_count",
            [window, window, size, size, integration_id],
        )
        row = cursor.fetchone()
    return row[0] if row else 0
