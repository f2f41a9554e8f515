"""Benchmark: the busiest pages and API endpoints at 100,000 incidents (issue 8, target 2).

Loads bench/pages_data.py's world (100,000 incidents, 1,000,000 timeline entries, 50 services, 20 teams) into a
database of its own, then calls each page in-process with Django's test Client under production settings
(DEBUG off, cached templates, persistent connections, HTTPS, sessions and API tokens as in real use) and reports
per request: server time (median and p90 of BENCH_REPEAT calls after warm-up), the part of it spent waiting
for PostgreSQL, and the number of queries. Page 200 is reached by following each list's own "next"/"Older"
links, so it measures whatever pagination the list really has. Then it checks that query counts do not
depend on page size or page number (exit 1 if they do), and prints EXPLAIN ANALYZE plans of the main list
queries. Figures recorded before the performance work (bench/pages_latency_baseline.json) are shown side by
side; `--record-baseline` rewrites that file from this run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchkeeper python bench/pages_latency.py
    BENCH_REPEAT=50 python bench/pages_latency.py            # more repetitions
    BENCH_KEEP_DATABASE=1 python bench/pages_latency.py      # keep <db>_bench_pages for a look afterwards
    BENCH_PROFILE="admin changelist" python bench/pages_latency.py   # also a pyinstrument profile of those cases
    BENCH_PROFILE="list page, mine|incident page" python bench/pages_latency.py  # several label parts, split by |
    BENCH_RESULTS_JSON=run.json python bench/pages_latency.py        # also write this run's figures as JSON
    BENCH_PAGES_REUSE=1 python bench/pages_latency.py        # measure again in a database BENCH_KEEP_DATABASE kept
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import _support

REPEAT = int(os.environ.get("BENCH_REPEAT", 25))
WARMUP = 3
DEEP = int(os.environ.get("BENCH_DEEP_PAGE", 200))  # "page 200" of the lists
ADMIN_DEEP_ROW = int(os.environ.get("BENCH_ADMIN_DEEP_ROW", 15_000))  # the admin's deep page: the one ending here
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", 0))  # 0: pages_data's defaults (smaller: quicker trial runs)
TARGET_MS = 50.0
BASELINE = Path(__file__).with_name("pages_latency_baseline.json")


@dataclass
class Case:
    label: str
    client: object
    url: str
    group: str = ""  # cases in one group must run the same number of queries
    explain: bool = False
    times: list = field(default_factory=list)
    sql_times: list = field(default_factory=list)
    cpu_times: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    statements: list = field(default_factory=list)


class Recorder:
    """Counts and times every query of a request (connection.execute_wrapper)."""

    def __init__(self, keep: bool = False):
        self.count, self.seconds, self.keep, self.statements, self.cpu = 0, 0.0, keep, [], 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
            if self.keep:
                self.statements.append((sql, params))


def request(client, url: str, keep: bool = False):
    from django.db import connection

    recorder = Recorder(keep)
    with connection.execute_wrapper(recorder):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, secure=True)
        elapsed = time.perf_counter() - started
        recorder.cpu = time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response, elapsed, recorder


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def follow_api(client, url: str, pages: int) -> str:
    """The URL of page `pages` of an API list, reached through its `next` links."""
    for _ in range(pages - 1):
        response = client.get(url, secure=True)
        link = response.json()["next"]
        if not link:
            raise SystemExit(f"{url}: fewer than {pages} pages")
        url = path_of(link)
    return url


OLDER = re.compile(r'<a[^>]*href="([^"]*)"[^>]*>\s*Older')


def follow_html(client, url: str, pages: int) -> str:
    """The URL of page `pages` of the incident list, reached through its "Older →" links."""
    base = urlsplit(url).path
    for _ in range(pages - 1):
        found = OLDER.search(client.get(url, secure=True).content.decode())
        if not found:
            raise SystemExit(f"{url}: fewer than {pages} pages")
        href = html.unescape(found.group(1))
        url = base + href if href.startswith("?") else path_of(href)
    return url


def clients(world):
    from django.test import Client

    from oncall.services.api_tokens import api_token_create

    pages, api = {}, {}
    for name in ("superuser", "manager", "engineer"):
        user = getattr(world, name)
        pages[name] = Client()
        pages[name].force_login(user)
        _, token = api_token_create(user=user, name="bench")
        api[name] = Client(headers={"authorization": f"Bearer {token}"})
    return pages, api


def cases(world, pages, api) -> list[Case]:
    from django.urls import reverse

    big = world.teams[0]
    incidents, admin = reverse("incidents:list"), reverse("admin:incidents_incident_changelist")
    api_list = reverse("api:incident-list")
    filtered_api = f"{api_list}?state=closed&severity=P3&severity=P4"
    html_filtered = f"{incidents}?scope=teams&state=closed"
    print(f"finding page {DEEP} of each list by following its links …", flush=True)
    found = {
        "api": follow_api(api["engineer"], api_list, DEEP),
        "api filtered": follow_api(api["engineer"], filtered_api, DEEP),
        "api superuser": follow_api(api["superuser"], api_list, DEEP),
        "html": follow_html(pages["engineer"], f"{incidents}?scope=teams", DEEP),
        "html filtered": follow_html(pages["engineer"], html_filtered, DEEP),
    }
    detail, storm = world.busy_incident_id, world.storm_incident_id
    from incidents.admin import IncidentAdmin

    deep = -(-ADMIN_DEEP_ROW // IncidentAdmin.list_per_page)  # the page holding that row, whatever the page size
    at_row = f"page at row {ADMIN_DEEP_ROW:,}"
    return [
        Case("API list, page 1", api["engineer"], api_list, "api list", explain=True),
        Case(f"API list, page {DEEP}", api["engineer"], found["api"], "api list", explain=True),
        Case("API list, page 1 of 5 rows", api["engineer"], f"{api_list}?page_size=5", "api list"),
        Case("API list, page 1 of 100 rows", api["engineer"], f"{api_list}?page_size=100", "api list"),
        Case("API list filtered, page 1", api["engineer"], filtered_api, "api filtered", explain=True),
        Case(f"API list filtered, page {DEEP}", api["engineer"], found["api filtered"], "api filtered"),
        Case("API list superuser, page 1", api["superuser"], api_list, "api superuser"),
        Case(f"API list superuser, page {DEEP}", api["superuser"], found["api superuser"], "api superuser"),
        Case("list page, page 1", pages["engineer"], f"{incidents}?scope=teams", "html list", explain=True),
        Case(f"list page, page {DEEP}", pages["engineer"], found["html"], "html list", explain=True),
        Case("list page filtered, page 1", pages["engineer"], html_filtered, "html filtered", explain=True),
        Case(f"list page filtered, page {DEEP}", pages["engineer"], found["html filtered"], "html filtered"),
        Case("list page, all open (superuser)", pages["superuser"], f"{incidents}?scope=open", "html open"),
        Case("list page, mine", pages["engineer"], f"{incidents}?scope=mine", explain=True),
        Case("incident page (busy P1)", pages["engineer"], reverse("incidents:detail", args=[detail])),
        Case("incident page (alert storm)", pages["engineer"], reverse("incidents:detail", args=[storm])),
        Case("API incident", api["engineer"], reverse("api:incident-detail", args=[detail])),
        Case("admin changelist superuser, page 1", pages["superuser"], admin, "admin superuser", explain=True),
        Case(f"admin changelist superuser, {at_row}", pages["superuser"], f"{admin}?p={deep}", "admin superuser",
             explain=True),
        Case("admin changelist manager, page 1", pages["manager"], admin, "admin manager", explain=True),
        Case(f"admin changelist manager, {at_row}", pages["manager"], f"{admin}?p={deep}", "admin manager",
             explain=True),
        Case("admin changelist manager, filtered", pages["manager"], f"{admin}?state__exact=closed&severity__exact=P1",
             explain=True),
        Case(f"on call now, API, {len(world.teams)} teams", api["superuser"], reverse("api:oncall"), "oncall"),
        Case("on call now, API, 1 team", api["engineer"], reverse("api:oncall"), "oncall"),
        Case("team schedule page", pages["engineer"], reverse("oncall:team_schedule", args=[big.slug])),
    ]


def measure(case: Case) -> None:
    for _ in range(WARMUP):
        request(case.client, case.url)
    for _ in range(REPEAT):
        _, elapsed, recorder = request(case.client, case.url)
        case.times.append(elapsed * 1000)
        case.sql_times.append(recorder.seconds * 1000)
        case.cpu_times.append(recorder.cpu * 1000)
        case.queries.append(recorder.count)
    _, _, recorder = request(case.client, case.url, keep=True)
    case.statements = recorder.statements


def profile(results: list[Case], wanted: str) -> None:
    """Where the time of the cases whose label contains `wanted` (or one of its |-separated parts) goes
    (pyinstrument, 10 calls each)."""
    from pyinstrument import Profiler

    parts = [part.strip().lower() for part in wanted.split("|") if part.strip()]
    for case in results:
        if not any(part in case.label.lower() for part in parts):
            continue
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(10):
            request(case.client, case.url)
        profiler.stop()
        _support.heading(f"profile: {case.label} (10 calls)")
        print(profiler.output_text(unicode=True, color=False))


def summary(case: Case) -> dict:
    return {
        "median_ms": round(statistics.median(case.times), 2),
        "p90_ms": round(_support.percentile(case.times, 90), 2),
        "sql_ms": round(statistics.median(case.sql_times), 2),
        "cpu_ms": round(statistics.median(case.cpu_times), 2),
        "queries": max(case.queries),
    }


def print_table(results: list[Case], baseline: dict) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    _support.heading(f"summary: server time per request, ms (median and p90 of {REPEAT}; target < {TARGET_MS:.0f} ms; "
                     f"load average now {load} on {os.cpu_count()} CPUs)")
    print("(median and p90: wall-clock server time; SQL: the part of it waiting for PostgreSQL; Python CPU: the CPU\n"
          "time of the Django process itself, which other load on the machine does not inflate)")
    header = f"{'request':<44} {'median':>7} {'p90':>7} {'of it SQL':>9} {'Py CPU':>7} {'queries':>7}"
    if baseline:
        header += f"   | before: {'median':>7} {'p90':>7} {'queries':>7}"
    print(header)
    for case in results:
        s = summary(case)
        flag = "" if s["p90_ms"] < TARGET_MS else "  over"
        queries = f"{min(case.queries)}-{max(case.queries)}" if min(case.queries) != max(case.queries) else \
            str(s["queries"])
        line = (f"{case.label:<44} {s['median_ms']:>7.1f} {s['p90_ms']:>7.1f} {s['sql_ms']:>9.1f} {s['cpu_ms']:>7.1f}"
                f" {queries:>7}")
        old = baseline.get(case.label)
        if baseline:
            line += (f"   |         {old['median_ms']:>7.1f} {old['p90_ms']:>7.1f} {old['queries']:>7}" if old
                     else "   |         (not measured)")
        print(line + flag)


def check_counts(results: list[Case]) -> bool:
    _support.heading("summary: query counts independent of page size, page number and team count")
    groups: dict[str, list[Case]] = {}
    for case in results:
        if case.group:
            groups.setdefault(case.group, []).append(case)
    ok = True
    for name, members in groups.items():
        counts = {c.label: max(c.queries) for c in members}
        same = len(set(counts.values())) == 1
        ok &= same
        print(f"{name:<20} {'same' if same else 'DIFFERENT':<10} " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return ok


def explain(results: list[Case]) -> None:
    from django.db import connection

    _support.heading("EXPLAIN (ANALYZE, BUFFERS) of the main list queries")
    for case in results:
        if not case.explain:
            continue
        main = [
            (sql, params) for sql, params in case.statements
            if 'FROM "incidents_incident"' in sql and ("LIMIT" in sql or "COUNT(" in sql)
        ]
        for sql, params in main:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
                plan = [row[0] for row in cursor.fetchall()]
            print(f"\n-- {case.label}: {sql[:100]}…")
            print("\n".join("   " + line for line in plan))


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "k" * 40)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    reuse = bool(os.environ.get("BENCH_PAGES_REUSE"))
    url = _support.reuse_database("bench_pages") if reuse else _support.bench_database("bench_pages")
    _support.django_setup("config.settings.production")
    import pages_data

    try:
        if reuse:
            world = pages_data.recall()
            print("measuring again in the kept database: " + ", ".join(f"{v:,} {k}" for k, v in world.counts.items()))
        else:
            scale = {"incidents": INCIDENTS, "timeline": INCIDENTS * 10} if INCIDENTS else {}
            _support.heading(f"loading {scale.get('incidents', pages_data.INCIDENTS):,} incidents, "
                             f"{scale.get('timeline', pages_data.TIMELINE):,} timeline entries, "
                             f"{pages_data.SERVICES} services, {pages_data.TEAMS} teams")
            world = pages_data.load(**scale)
            pages_data.remember(world)
            print(f"loaded in {world.seconds:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in world.counts.items()))
        pages, api = clients(world)
        results = cases(world, pages, api)
        for case in results:
            measure(case)
            print(f"  {case.label:<44} {statistics.median(case.times):>7.1f} ms", flush=True)
        baseline = {}
        if os.environ.get("BENCH_RESULTS_JSON"):  # this run's figures, e.g. to combine several runs
            Path(os.environ["BENCH_RESULTS_JSON"]).write_text(json.dumps({c.label: summary(c) for c in results}))
        if "--record-baseline" in argv:
            BASELINE.write_text(json.dumps({c.label: summary(c) for c in results}, indent=1) + "\n")
            print(f"baseline written to {BASELINE}")
        elif BASELINE.exists():
            baseline = json.loads(BASELINE.read_text())
        print_table(results, baseline)
        independent = check_counts(results)
        explain(results)
        if os.environ.get("BENCH_PROFILE"):
            profile(results, os.environ["BENCH_PROFILE"])
        if not independent:
            raise SystemExit("query counts depend on page size, page number or team count")
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE") and not reuse:
            _support.drop_database(url)


if __name__ == "__main__":
    main(sys.argv[1:])
