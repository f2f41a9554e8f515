"""Shared by the benchmark scripts (files starting with "_" are not benchmarks; run_all.py skips them).

Each benchmark gets its own PostgreSQL database, dropped and created fresh, named after the DATABASE_URL
database plus a suffix (or BENCH_DATABASE_URL's), so it never touches anyone's data.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def bench_database(suffix: str) -> str:
    """Create a fresh database for one benchmark; point DATABASE_URL at it; return the URL."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    parts = urlsplit(base)
    if parts.scheme not in ("postgres", "postgresql", "postgis"):
        sys.exit("Benchmarks need PostgreSQL: set DATABASE_URL (or BENCH_DATABASE_URL), e.g. "
                 "postgres://postgres@127.0.0.1:5432/watchkeeper")
    name = f"{parts.path.lstrip('/') or 'watchkeeper'}_{suffix}"
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url


def reuse_database(suffix: str) -> str:
    """Point DATABASE_URL at the database an earlier run with BENCH_KEEP_DATABASE=1 left; return the URL."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    parts = urlsplit(base)
    url = urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/') or 'watchkeeper'}_{suffix}"))
    os.environ["DATABASE_URL"] = url
    return url


def django_setup(settings_module: str = "config.settings.test") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django
    from django.core.management import call_command

    django.setup()
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.monotonic() - started:.1f} s")


def drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.started = label, total, 0, time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        width = 40
        filled = int(width * self.done / self.total)
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        sys.stderr.write(f"\r{self.label:<28} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{self.done:>9,}/{self.total:,} {rate:>9,.0f}/s")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def heading(text: str) -> None:
    print(f"\n== {text}")
