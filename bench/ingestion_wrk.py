"""Benchmark: ingestion against the physical limit of the machine (issue 8, targets 1 and 3).

With the same load from wrk (Debian's package: 15 s, 32 connections) against gunicorn with 3 sync workers:
- the bare baseline (bench/bare_django: a Django project whose only view parses the JSON and answers 202);
- Watchkeeper with production settings on PostgreSQL (a database of its own) and a private redis-server (the
  rate limit's counter and the broker the new incidents' escalation kicks go to).
Two loads: PagerDuty Events API v2 triggers spread over 200 dedup keys, and Alertmanager notifications for 200
groups (each carrying one alert with a new fingerprint: instances joining a firing group). For each:

1. the first event of every key, 32 at a time: each declares its incident (the regular incident_declare path);
2. the storm: ROUNDS rounds of wrk against each server, alternating which goes first, so that the load other
   processes put on the machine drifts into both alike; the round with the median ratio is the result. Reported:
   req/s, p50/p99, non-2xx, the ratio (target ≥ 0.5 with p99 < 100 ms and no errors), the CPU time per request
   of each side's processes; after every run, that every event answered 2xx is stored (stored alerts ≥ 2xx
   answers, and at most the 32 requests in flight when wrk stopped more: those were processed but their answers
   never counted), and at the end that each dedup key has exactly one open incident.

Then the Events API v2 storm once more with the other INGESTION_ASYNC_COMMIT (durable commits vs not waiting for
the WAL flush of an alert added to an open incident), so both figures are in every run; the peak RSS of each
gunicorn worker (VmHWM; target < 150 MB) and the plan of the storm path's statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchkeeper python bench/ingestion_wrk.py
    BENCH_SECONDS=15 BENCH_CONNECTIONS=32 BENCH_WORKERS=3 BENCH_ROUNDS=3 BENCH_PROFILE=1 (py-spy on one worker)
    BENCH_COMPARE_COMMIT=0 (skip the other INGESTION_ASYNC_COMMIT)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _support
from _wrk import Gunicorn, cpu_seconds, fmt, lua_script
from _wrk import wrk as run_wrk

SECONDS = int(os.environ.get("BENCH_SECONDS", 15))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 32))
WORKERS = int(os.environ.get("BENCH_WORKERS", 3))
KEYS = 200
WARMUP_SECONDS = 2
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
COMPARE_COMMIT = os.environ.get("BENCH_COMPARE_COMMIT", "1") != "0"
HERE = Path(__file__).resolve().parent

EVENTS_LUA = r"""
local routing_key = "%(key)s"
local severities = {"critical", "error", "warning", "info"}
local counter = 0
local threads = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local template = '{"routing_key":"%%s","event_action":"trigger","dedup_key":"storm-%%d",' ..
  '"payload":{"summary":"High error rate on checkout-%%d","source":"web-%%d.example.com","severity":"%%s",' ..
  '"timestamp":"2026-03-04T12:00:00.000+0000","component":"checkout","group":"web","class":"http 5xx",' ..
  '"custom_details":{"error_rate":"%%d%%%%","seq":%%d}},"client":"bench","client_url":"https://bench.example.com"}'
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = id * 7919
end
function request()
  counter = counter + 1
  local k = counter %% %(keys)d
  local body = string.format(template, routing_key, k, k, k, severities[k %% 4 + 1], counter %% 100, counter)
  return wrk.format(nil, nil, nil, body)
end
%(done)s
"""

ALERTMANAGER_LUA = r"""
local counter = 0
local threads = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local template = '{"version":"4","groupKey":"{}:{alertname=\\"HighLatency\\", cluster=\\"c%%d\\"}",' ..
  '"truncatedAlerts":0,"status":"firing","receiver":"watchkeeper",' ..
  '"groupLabels":{"alertname":"HighLatency","cluster":"c%%d"},' ..
  '"commonLabels":{"alertname":"HighLatency","cluster":"c%%d","severity":"warning"},' ..
  '"commonAnnotations":{"summary":"p99 latency above 1 s in cluster c%%d"},' ..
  '"externalURL":"http://alertmanager.example.com:9093","alerts":[{"status":"firing",' ..
  '"labels":{"alertname":"HighLatency","cluster":"c%%d","severity":"warning","instance":"node-%%d:9100"},' ..
  '"annotations":{"summary":"p99 latency above 1 s","description":"node-%%d is slow"},' ..
  '"startsAt":"2026-03-04T12:00:00.000Z","endsAt":"0001-01-01T00:00:00Z",' ..
  '"generatorURL":"http://prometheus.example.com:9090/graph?g0.expr=latency","fingerprint":"%%08x%%02x%%08x"}]}'
local run = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  run = os.time()  -- a new fingerprint for every request of every run
end
function request()
  counter = counter + 1
  local g = (counter + id * 7919) %% %(keys)d
  local body = string.format(template, g, g, g, g, g, counter, counter, run, id, counter)
  return wrk.format(nil, nil, nil, body)
end
%(done)s
"""

def wrk(url: str, script: str, seconds: int) -> dict:
    return run_wrk(url, script, seconds, connections=CONNECTIONS)


def setup_data():
    from incidents.ingestion.services import integration_create
    from incidents.models import Service
    from oncall.models import Team
    from oncall.services import escalation_policy_seed_default

    team = Team.objects.create(name="Payments", slug="payments", time_zone="Europe/Berlin")
    escalation_policy_seed_default(team=team)  # new incidents freeze it and get level 1 due at once
    service = Service.objects.create(team=team, name="Checkout API", slug="checkout-api")
    from incidents.services.permissions import service_grant_team_access

    service_grant_team_access(service=service)
    # A limit that is counted on every event (in Redis) but never reached: the cost of the check is measured.
    events, events_key = integration_create(user=None, service=service, name="Storm (Events API v2)",
                                            kind="events_v2", rate_limit_per_minute=100_000_000)
    am, am_key = integration_create(user=None, service=service, name="Storm (Alertmanager)", kind="alertmanager",
                                    rate_limit_per_minute=100_000_000)
    return service, (events, events_key), (am, am_key)


def stored_check(integration, before: int, result: dict) -> tuple[list[str], str]:
    """Every event answered 2xx is stored. Returns the problems found and a line saying what was checked."""
    from incidents.models import Alert

    stored = Alert.objects.filter(integration=integration).count() - before
    answered = result["ok"]
    line = (f"stored alerts {stored:,} for {answered:,} answered 2xx ({stored - answered} more: requests in flight"
            f" when wrk stopped, at most {CONNECTIONS})")
    problems = []
    if stored < answered:
        problems.append(f"{answered - stored} events answered 2xx are not stored")
    if stored - answered > CONNECTIONS:
        problems.append(f"{stored - answered} more alerts stored than answered: more than the requests in flight")
    return problems, line


def open_incident_check(integration) -> list[str]:
    """Each dedup key has exactly one open incident."""
    from django.db.models import Count

    from incidents.models import OPEN_STATES, Incident

    keys = (
        Incident.objects.filter(alerts__integration=integration, state__in=OPEN_STATES).values("dedup_key")
        .annotate(n=Count("id", distinct=True))
    )
    counts = [row["n"] for row in keys]
    print(f"  {len(counts)} dedup keys with an open incident; most open incidents for one key: {max(counts or [0])}")
    if len(counts) != KEYS or any(n != 1 for n in counts):
        return ["not exactly one open incident per dedup key"]
    return []


def explain(service, integration) -> None:
    from django.db import connection

    from incidents.ingestion import writes

    row = writes.AlertRow(received_at=_now(), dedup_key="storm-1", action="trigger", summary="explain",
                          payload={}, severity="P1")
    sql, _ = writes._sql(connection, 1, False)
    params = [service.pk, "storm-1", integration.pk, service.pk, *writes._row_params(row, connection)]
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        plan = [line for (line,) in cursor.fetchall()]
        cursor.execute("ROLLBACK")
    print("  " + "\n  ".join(plan))


def _now():
    from django.utils import timezone

    return timezone.now()


def first_event_bodies(kind: str, key: str) -> tuple[list[bytes], dict]:
    """One event per dedup key (group), shaped like the Lua scripts' (same keys, so the storm joins them)."""
    if kind == "events_v2":
        return [json.dumps({
            "routing_key": key, "event_action": "trigger", "dedup_key": f"storm-{k}",
            "payload": {"summary": f"High error rate on checkout-{k}", "source": f"web-{k}.example.com",
                        "severity": ("critical", "error", "warning", "info")[k % 4]},
        }).encode() for k in range(KEYS)], {"Content-Type": "application/json"}
    return [json.dumps({
        "version": "4", "groupKey": f'{{}}:{{alertname="HighLatency", cluster="c{g}"}}', "truncatedAlerts": 0,
        "status": "firing", "receiver": "watchkeeper", "groupLabels": {"alertname": "HighLatency", "cluster": f"c{g}"},
        "commonLabels": {"alertname": "HighLatency", "cluster": f"c{g}", "severity": "warning"},
        "commonAnnotations": {"summary": f"p99 latency above 1 s in cluster c{g}"},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [{"status": "firing",
                    "labels": {"alertname": "HighLatency", "cluster": f"c{g}", "severity": "warning",
                               "instance": "node-0:9100"},
                    "annotations": {"summary": "p99 latency above 1 s"}, "startsAt": "2026-03-04T12:00:00.000Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.example.com:9090/graph",
                    "fingerprint": f"first{g:011x}"}],
    }).encode() for g in range(KEYS)], {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}


def first_events(app: Gunicorn, path: str, bodies: list[bytes], headers: dict) -> list[str]:
    """The first event of every key, CONNECTIONS at a time: each declares its incident (incident_declare: the
    escalation policy frozen, the timeline, the team's permissions, level 1 kicked after commit)."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def send(body: bytes) -> tuple[int, float]:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
        connection.close()
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        results = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    latencies = [seconds for _, seconds in results]
    failed = sum(status >= 300 for status, _ in results)
    p = _support.percentile
    print(f"  first event of each of the {len(bodies)} keys (each declares an incident): "
          f"{len(bodies) / elapsed:,.0f} req/s  p50 {p(latencies, 50) * 1000:.0f} ms"
          f"  p99 {p(latencies, 99) * 1000:.0f} ms  non-2xx {failed}")
    return [f"{failed} first events failed"] if failed else []


def database_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def measured(server: Gunicorn, path: str, script: str, *, database: bool) -> dict:
    """One wrk run, with the CPU time the server's workers (and their PostgreSQL backends) spent per request."""
    workers = server.workers()
    backends = database_backends() if database else []
    before = cpu_seconds(workers), cpu_seconds(backends)
    result = wrk(server.url(path), script, SECONDS)
    requests = max(result["requests"], 1)
    result["cpu_workers_us"] = (cpu_seconds(workers) - before[0]) / requests * 1e6
    result["cpu_database_us"] = (cpu_seconds(backends) - before[1]) / requests * 1e6
    return result


def run_pair(label: str, kind: str, bare: Gunicorn, app: Gunicorn, path: str, script: str, integration,
             key: str, *, first: bool = True) -> tuple[dict, list]:
    """The first event of each key (unless the keys have their incidents already), then ROUNDS storms against each
    server, alternating which goes first so that the load other processes put on the machine drifts into both
    alike; the round with the median ratio counts."""
    from incidents.models import Alert

    _support.heading(f"{label}: {KEYS} keys; the storm is wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, {ROUNDS} rounds each")
    problems = first_events(app, path, *first_event_bodies(kind, key)) if first else []
    wrk(bare.url(path), script, WARMUP_SECONDS)
    wrk(app.url(path), script, WARMUP_SECONDS)
    time.sleep(1)  # the warm-up's requests in flight when wrk stopped
    rounds = []
    for number in range(ROUNDS):
        order = ("bare", "app") if number % 2 == 0 else ("app", "bare")
        for which in order:
            if which == "bare":
                baseline = measured(bare, path, script, database=False)
                continue
            before = Alert.objects.filter(integration=integration).count()
            result = measured(app, path, script, database=True)
            time.sleep(1)  # let the requests in flight when wrk stopped finish
            found, stored_line = stored_check(integration, before, result)
            problems += found
        ratio = result["rps"] / baseline["rps"]
        rounds.append({"ratio": ratio, "result": result, "baseline": baseline})
        print(f"  round {number + 1}  bare Django   {fmt(baseline)}")
        print(f"           Watchkeeper   {fmt(result)}   ratio {ratio:.2f}")
        print(f"           {stored_line}")
    median = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
    result, baseline, ratio = median["result"], median["baseline"], median["ratio"]
    verdict = "ok" if ratio >= 0.5 and result["p99_us"] < 100_000 and result["status_errors"] == 0 else "MISSED"
    print(f"  median round: ratio {ratio:.2f}, p99 {result['p99_us'] / 1000:.1f} ms, non-2xx {result['status_errors']}"
          f" (target ≥ 0.5, p99 < 100 ms, no errors): {verdict}")

    def average(which: str, field: str) -> float:
        return sum(r[which][field] for r in rounds) / len(rounds)

    app_cpu = average("result", "cpu_workers_us") + average("result", "cpu_database_us")
    bare_cpu = average("baseline", "cpu_workers_us")
    wrk_app, wrk_bare = average("result", "cpu_wrk_us"), average("baseline", "cpu_wrk_us")
    print(f"  CPU per request: Watchkeeper's workers {average('result', 'cpu_workers_us'):,.0f} µs + PostgreSQL"
          f" {average('result', 'cpu_database_us'):,.0f} µs (+ wrk {wrk_app:,.0f} µs); bare Django's workers"
          f" {bare_cpu:,.0f} µs (+ wrk {wrk_bare:,.0f} µs). On a machine doing nothing else the throughput ratio"
          f" would be about {(bare_cpu + wrk_bare) / (app_cpu + wrk_app):.2f}")
    problems += open_incident_check(integration)
    return {"label": label, "ratio": ratio, "result": result, "baseline": baseline, "verdict": verdict}, problems


def profile(app: Gunicorn, path: str, script: str) -> None:
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        print("  (py-spy not installed: pip install py-spy)")
        return
    out = Path(tempfile.mkstemp(prefix="wk-profile-", suffix=".txt")[1])
    spy = subprocess.Popen([pyspy, "record", "--pid", str(app.workers()[0]), "--format", "raw", "--rate", "250",
                            "--duration", str(SECONDS - 2), "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wrk(app.url(path), script, SECONDS)
    spy.wait(timeout=60)
    print(f"  py-spy raw profile of one worker: {out} (flamegraph.pl or speedscope)")


def main() -> int:
    url = _support.bench_database("bench_ingest")
    _support.django_setup()
    from django.conf import settings

    from tests.realworld import harness

    redis = harness.RedisServer().start()
    settings.INGESTION_REDIS_URL = redis.url
    harness.use_broker(redis.url)
    scripts: list[str] = []
    servers: list[Gunicorn] = []
    problems: list[str] = []
    try:
        service, (events, events_key), (am, am_key) = setup_data()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "INGESTION_"))}
        bare = Gunicorn("bare_wsgi:application", env={**base_env, "PYTHONPATH": str(HERE / "bare_django")},
                        chdir=HERE / "bare_django", workers=WORKERS)
        servers.append(bare)
        async_commit = bool(settings.INGESTION_ASYNC_COMMIT)  # the configured default
        app_env = {
            **base_env, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "bench-" * 8,
            "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": url,
            "CELERY_BROKER_URL": redis.url, "INGESTION_REDIS_URL": redis.url, "LOG_LEVEL": "WARNING",
            # Persistent connections for the whole run (the default 60 s would renew them mid-measurement).
            "DATABASE_CONN_MAX_AGE": "600",
        }

        def start_app(async_commit: bool) -> Gunicorn:
            env = {**app_env, "INGESTION_ASYNC_COMMIT": str(async_commit).lower()}
            servers.append(Gunicorn("config.wsgi:application", env=env, chdir=HERE.parent, workers=WORKERS))
            return servers[-1]

        app = start_app(async_commit)
        print(f"bare Django and Watchkeeper (config.settings.production, INGESTION_ASYNC_COMMIT={async_commit}) each "
              f"on gunicorn, {WORKERS} sync workers; {os.cpu_count()} CPUs shared with wrk, PostgreSQL and Redis")

        events_script = lua_script(EVENTS_LUA, key=events_key, keys=KEYS)
        am_script = lua_script(ALERTMANAGER_LUA, key=am_key, keys=KEYS)
        scripts += [events_script, am_script]
        summary = []
        row, found = run_pair("Events API v2 triggers", "events_v2", bare, app, "/integrations/v2/enqueue",
                              events_script, events, events_key)
        summary.append(row)
        problems += found
        row, found = run_pair("Alertmanager notifications", "alertmanager", bare, app, "/integrations/alertmanager/",
                              am_script, am, am_key)
        summary.append(row)
        problems += found

        _support.heading("peak RSS per gunicorn worker (VmHWM), target < 150 MB")
        bare_rss, app_rss = bare.peak_rss_mb(), app.peak_rss_mb()
        print("  bare Django   " + "  ".join(f"{mb:.0f} MB" for mb in bare_rss))
        print("  Watchkeeper   " + "  ".join(f"{mb:.0f} MB" for mb in app_rss))

        _support.heading("the fast path (an alert on an open incident): one statement, its plan")
        explain(service, events)

        if os.environ.get("BENCH_PROFILE"):
            _support.heading("profile")
            profile(app, "/integrations/v2/enqueue", events_script)

        if COMPARE_COMMIT:
            app.stop()
            other = start_app(not async_commit)
            row, found = run_pair(f"Events API v2, INGESTION_ASYNC_COMMIT={not async_commit}", "events_v2", bare,
                                  other, "/integrations/v2/enqueue", events_script, events, events_key, first=False)
            summary.append(row)
            problems += found
            app_rss += other.peak_rss_mb()
        if max(app_rss) >= 150:
            problems.append(f"a worker peaked at {max(app_rss):.0f} MB")

        _support.heading("summary")
        print(f"  (INGESTION_ASYNC_COMMIT={async_commit} unless the label says otherwise; Watchkeeper vs bare Django)")
        for row in summary:
            r, b = row["result"], row["baseline"]
            print(f"  {row['label']:<40} {r['rps']:>7,.0f} vs {b['rps']:>7,.0f} req/s = {row['ratio']:.2f}  "
                  f"p50 {r['p50_us'] / 1000:.1f} ms  p99 {r['p99_us'] / 1000:.1f} ms  non-2xx {r['status_errors']}"
                  f"  {row['verdict']}")
        print(f"  peak RSS per worker {max(app_rss):.0f} MB (bare {max(bare_rss):.0f} MB)")
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        return 1 if problems else 0
    finally:
        for server in servers:
            server.stop()
        for script in scripts:
            Path(script).unlink(missing_ok=True)
        harness.use_broker(None)
        redis.stop()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            _support.drop_database(url)


if __name__ == "__main__":
    sys.exit(main())
