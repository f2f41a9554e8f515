"""Events received and the last event time per integration, buffered in each process.

Writing them with every event would make every event of an integration queue for that integration's row lock.
Instead each process adds up what it received and writes the sums at most once per INGESTION_COUNTER_FLUSH_SECONDS
(1 s by default): from the request that finds a flush due, or from a timer when traffic stops, so the admin is
never more than about two seconds behind. A process killed with SIGKILL loses at most that last second of counts
(the alerts themselves are stored with each event; these are statistics). 0 writes on every event (tests).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from incidents.models import Integration

logger = logging.getLogger(__name__)

_pending: dict[int, list] = {}  # integration id -> [events, last event time]
_lock = threading.Lock()
_last_flush = 0.0
_timer: threading.Timer | None = None


def _interval() -> float:
    return float(getattr(settings, "INGESTION_COUNTER_FLUSH_SECONDS", 1.0))


def event_counted(integration_id: int, at: dt.datetime) -> None:
    """Count one event received (stored or dropped) for the integration."""
    with _lock:
        entry = _pending.get(integration_id)
        if entry is None:
            _pending[integration_id] = [1, at]
        else:
            entry[0] += 1
            entry[1] = max(entry[1], at)
        due = time.monotonic() - _last_flush >= _interval()
        if not due and _timer is None:
            _arm(_interval())
    if due:
        counters_flush()


def _arm(seconds: float) -> None:
    global _timer
    _timer = threading.Timer(seconds, _flush_from_timer)
    _timer.daemon = True
    _timer.start()


def counters_flush() -> int:
    """Write the buffered counts; returns how many integrations were updated."""
    global _last_flush
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    for integration_id, (count, at) in batch.items():
        # Processes flush independently: last_event_at only ever moves forward.
        Integration.objects.filter(pk=integration_id).update(
            events_received=F("events_received") + count,
            last_event_at=Greatest(Coalesce(F("last_event_at"), Value(at)), Value(at)),
        )
    return len(batch)


def _flush_from_timer() -> None:
    global _timer
    with _lock:
        _timer = None
        # While events keep coming the requests flush; the timer only catches the counts left when they stop.
        # (Flushing from here in a storm would open a connection for this thread every interval.)
        if _pending and time.monotonic() - _last_flush < _interval():
            _arm(_interval())
            return
    try:
        counters_flush()
    except Exception:
        logger.exception("Could not write the integrations' event counts")
    finally:
        connection.close()  # the timer thread's own connection


def _flush_at_exit() -> None:
    if _pending:
        try:
            counters_flush()
        except Exception:
            logger.exception("Could not write the integrations' event counts at exit")


atexit.register(_flush_at_exit)
