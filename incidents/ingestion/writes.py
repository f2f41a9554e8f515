"""The write path of ingestion, in raw SQL where the ORM would need more round trips.

The common case in an alert storm is an alert for an incident that is already open. That is ONE statement, run
in autocommit mode (its own transaction: no BEGIN/COMMIT round trips), prepared once per connection:

    WITH open_incident AS (SELECT id FROM incident WHERE service_id = … AND dedup_key = … AND state IN (open…))
    INSERT INTO alert (…) SELECT open_incident.id, … FROM open_incident [CROSS JOIN (VALUES (…), …) AS v]
    [ON CONFLICT (incident_id, fingerprint) WHERE NOT (fingerprint = '') DO UPDATE SET …]   -- Alertmanager
    RETURNING id, incident_id

The SELECT is served by the partial unique index one_open_incident_per_dedup_key (its predicate is repeated
literally, so PostgreSQL can prove the index applies). It returns no row when no incident is open for the key;
only then does the caller take the regular incident_declare path, whose partial unique constraint decides a race
between simultaneous first alerts (the loser re-reads the winner) — so this path never creates an incident and
cannot create two. Unlike an INSERT … ON CONFLICT DO UPDATE on the incident, it does not write the incident row
for a duplicate alert: no row lock, no new row version, nothing for concurrent alerts of one key to queue on.

Durability: on PostgreSQL, with INGESTION_ASYNC_COMMIT (the default), this statement — and only this one, when
it runs on its own — commits without waiting for the WAL to reach the disk (synchronous_commit = off for its
transaction). The alert is committed and visible at once like any other; what changes is that a crash of the
PostgreSQL server (not of Watchkeeper) within about 0.6 s (3 × wal_writer_delay) could lose it. It only ever
concerns alerts added to an incident that already exists and was committed durably: incidents, acknowledgements
and resolutions always wait for the flush. On a disk whose fsync takes milliseconds this is the difference
between one flush per alert and one per batch (README "Performance").

The same SQL runs on SQLite (≥ 3.35: CTE before INSERT, VALUES in FROM, partial-index upsert, RETURNING), unprepared
and with the default durability.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, ProgrammingError, connections

from incidents.models import OPEN_STATES, Alert, Incident

try:
    import psycopg
    from psycopg.types.json import Jsonb
except ImportError:  # SQLite-only installs
    psycopg = Jsonb = None

ALERT_FIELDS = (
    "received_at", "last_received_at", "dedup_key", "fingerprint", "action", "severity", "summary", "source",
    "payload",
)
# What a repeated Alertmanager notification changes on the alert row of a fingerprint.
UPSERT_FIELDS = ("last_received_at", "action", "severity", "summary", "payload")


@dataclass(slots=True)
class AlertRow:
    received_at: dt.datetime
    dedup_key: str
    action: str
    summary: str
    payload: dict | str  # a dict, or JSON text
    severity: str = ""
    source: str = ""
    fingerprint: str = ""


_sql_cache: dict[tuple, tuple[str, list[str]]] = {}
# PostgreSQL types of the parameters, for PREPARE: the statement's ids and key, then each row's ALERT_FIELDS.
HEAD_TYPES = ["bigint", "varchar", "bigint", "bigint"]
ROW_TYPES = ["timestamptz", "timestamptz", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "jsonb"]


def _sql(db, rows: int, upsert: bool, async_commit: bool = False) -> tuple[str, list[str]]:
    """The statement (with %s placeholders) and its parameters' PostgreSQL types."""
    key = (db.vendor, rows, upsert, async_commit)
    cached = _sql_cache.get(key)
    if cached is not None:
        return cached
    qn = db.ops.quote_name
    incident, alert = Incident._meta, Alert._meta
    states = ", ".join(f"'{state}'" for state in OPEN_STATES)  # literals: constants the index predicate names
    columns = ["incident", "integration", "service", *ALERT_FIELDS]
    column_sql = ", ".join(qn(alert.get_field(name).column) for name in columns)
    one_row = ", ".join(["%s"] * len(ALERT_FIELDS))
    if rows == 1:
        selected, source = one_row, "open_incident"
    else:
        selected = ", ".join(f"v.column{i}" for i in range(1, len(ALERT_FIELDS) + 1))
        source = "open_incident CROSS JOIN (VALUES " + ", ".join([f"({one_row})"] * rows) + ") AS v"
    # The statement is its own (implicit) transaction; a transaction-local setting made while it runs still
    # holds when it commits, so this commit alone does not wait for the WAL flush. Evaluated once per statement
    # (joined in), never anywhere else: the session keeps synchronous_commit as configured.
    durability = ", durability AS (SELECT set_config('synchronous_commit', 'off', true) AS off)" if async_commit else ""
    sql = (
        f"WITH open_incident AS (SELECT {qn('id')} FROM {qn(incident.db_table)} "
        f"WHERE {qn('service_id')} = %s AND {qn('dedup_key')} = %s AND {qn('state')} IN ({states}) LIMIT 1)"
        f"{durability} "
        f"INSERT INTO {qn(alert.db_table)} ({column_sql}) "
        f"SELECT open_incident.{qn('id')}, %s, %s, {selected} "
        f"FROM {source}{' CROSS JOIN durability' if async_commit else ''} WHERE 1 = 1"
    )
    if upsert:
        fingerprint = qn(alert.get_field("fingerprint").column)
        updates = ", ".join(f"{qn(f)} = excluded.{qn(f)}" for f in UPSERT_FIELDS)
        sql += (
            f" ON CONFLICT ({qn(alert.get_field('incident').column)}, {fingerprint})"
            f" WHERE NOT ({fingerprint} = '') DO UPDATE SET {updates}"
        )
    sql += f" RETURNING {qn('id')}, {qn(alert.get_field('incident').column)}"
    _sql_cache[key] = (sql, HEAD_TYPES + ROW_TYPES * rows)
    return _sql_cache[key]


_received_at = Alert._meta.get_field("received_at")


def _json_param(payload: dict | str, postgresql: bool):
    """JSON text for the payload column: a dict encoded, or text already JSON (an event's body as received)
    passed on as is. PostgreSQL's jsonb refuses the escape \\u0000, which JSON allows: it becomes U+FFFD."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    if "\\u0000" in text:
        text = text.replace("\\u0000", "\\ufffd")
    if postgresql:
        return Jsonb(text, dumps=str)  # dumps=str: the text is JSON already
    return text


def _row_params(row: AlertRow, db) -> list:
    # psycopg takes an aware datetime as it is; other backends need Django's conversion.
    postgresql = db.vendor == "postgresql"
    at = row.received_at if postgresql else _received_at.get_db_prep_save(row.received_at, db)
    return [
        at, at, row.dedup_key, row.fingerprint, row.action, row.severity, row.summary[:1024], row.source[:255],
        _json_param(row.payload, postgresql),
    ]


def alerts_add_to_open_incident(
    *, service_id: int, integration_id: int, dedup_key: str, rows: list[AlertRow], upsert: bool = False
) -> int | None:
    """Store `rows` on the incident open for (service, dedup key), in one statement; the incident's id, or None
    (and nothing stored) when no incident is open for the key. `upsert`: rows with a fingerprint already stored
    on that incident update it (Alertmanager's one alert per fingerprint)."""
    # The connection looked up once: each `connection.…` goes through asgiref's context-local storage, and a
    # dozen of them were a tenth of an event's Python time.
    db = connections[DEFAULT_DB_ALIAS]
    params: list = [service_id, dedup_key, integration_id, service_id]
    for row in rows:
        params += _row_params(row, db)
    on_its_own = db.vendor == "postgresql" and not db.in_atomic_block
    async_commit = on_its_own and getattr(settings, "INGESTION_ASYNC_COMMIT", False)
    sql, types = _sql(db, len(rows), upsert, async_commit)
    if not on_its_own:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        return returned[0][1] if returned else None
    typed = _typed(sql, types)
    for attempt in (1, 2):
        try:
            returned = _execute_prepared(db, typed, params, prepare=len(rows) <= PREPARED_MAX_ROWS)
            return returned[0][1] if returned else None
        except (OperationalError, ProgrammingError) as exc:
            # A broken connection (the ping below was skipped), or a session whose prepared statements a pooler
            # dropped: once more, on a new connection.
            lost = isinstance(exc, ProgrammingError) and getattr(exc.__cause__, "sqlstate", None) == "26000"
            if attempt == 2 or not (lost or isinstance(exc, OperationalError)):
                raise
            db.close()
    return None  # not reached


# Statements for up to this many alerts are prepared (one per count); a bigger notification is planned each time.
PREPARED_MAX_ROWS = 8
_typed_cache: dict[str, str] = {}


def _typed(sql: str, types: list[str]) -> str:
    """The statement with each parameter cast to its column's type (server-side parameters need types)."""
    typed = _typed_cache.get(sql)
    if typed is None:
        typed = sql.replace("%s", "{}").format(*(f"%s::{t}" for t in types))
        _typed_cache[sql] = typed
    return typed


def _execute_prepared(db, sql: str, params: list, *, prepare: bool = True) -> list:
    """Run the statement as a prepared statement of this connection, through Django's cursor wrapper (so it is
    logged, counted and its errors translated like any query).

    Planning this statement (every partial index of the incident table is checked against its predicate) costs
    PostgreSQL several times what executing it does, and binding the parameters as literals more again. Django's
    psycopg connections never prepare (client-side binding, prepare_threshold=None), so this one statement uses
    a server-side-binding psycopg cursor with preparing switched on for its execution only: psycopg prepares it
    on the connection once (Parse) and from then on only binds and executes it. (Poolers: PgBouncer ≥ 1.21 keeps
    protocol-level prepared statements; a session that lost them gets a new connection, see above.)

    With CONN_HEALTH_CHECKS Django pings a reused connection (SELECT 1) before the first query of every request:
    a round trip per event. Here the statement itself finds a broken connection and the caller runs it once more
    on a new one: the same guarantee, without the ping.
    """
    db.health_check_done = True
    db.ensure_connection()
    raw = db.connection
    cursor = db._prepare_cursor(_server_binding_cursor(raw))
    threshold = raw.prepare_threshold
    # When queries are logged (DEBUG, assertNumQueries) run it unprepared: psycopg keeps no query text for the
    # log of a prepared execution.
    raw.prepare_threshold = 0 if prepare and not db.queries_logged else None
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        raw.prepare_threshold = threshold


def _server_binding_cursor(raw):
    """One server-side-binding cursor per psycopg connection, kept on it: a new cursor per event was about a
    fifth of the statement's client-side CPU time."""
    cursor = getattr(raw, "_watchkeeper_ingestion_cursor", None)
    if cursor is None or cursor.closed:
        cursor = raw._watchkeeper_ingestion_cursor = psycopg.Cursor(raw)
    return cursor
