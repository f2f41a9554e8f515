"""Benchmark: every insights metric over 100,000 incidents.

Loads (bulk inserts, in a database of its own) two years of history: 8 teams in 8 time zones with members,
primary and secondary rotations and overrides; 40 services; 100,000 incidents (P1–P4, acknowledged,
identified, resolved, some open, some false alarms, dedup keys that recur); about 1.5 alerts per incident
with fingerprints; one page notification per incident to the person on call (two for P1/P2, some with a
webhook copy); post-mortems with action items for P1/P2. Then it computes all metrics
(incidents.metrics.metrics_all) for one team over the last 90 days, for all teams over the last 90 days and
for everything (all teams, the two years: all 100,000 incidents), and reports the time (best and median of
several runs, computed as the pages and the API compute them: on PostgreSQL recurrence and page load run on a
second connection meanwhile), then the number of queries and the CPU time with everything on one connection.

Exits non-zero when "everything" takes a second or more even at best.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchkeeper python bench/metrics_compute.py
    BENCH_METRICS_INCIDENTS=10000 python bench/metrics_compute.py      # smaller
    BENCH_KEEP_DATABASE=1 python bench/metrics_compute.py              # keep the database afterwards
    BENCH_METRICS_REUSE=1 python bench/metrics_compute.py              # measure again in the kept database
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from pathlib import Path

import _support

TOTAL = int(os.environ.get("BENCH_METRICS_INCIDENTS", 100_000))
RUNS = int(os.environ.get("BENCH_METRICS_RUNS", 5))
BATCH = 5_000
DAYS = 730
TEAMS = (
    ("Payments", "Europe/Berlin"), ("Search", "America/New_York"), ("Platform", "UTC"), ("Mobile", "Asia/Tokyo"),
    ("Data", "Australia/Sydney"), ("Growth", "America/Los_Angeles"), ("Identity", "Europe/London"),
    ("Billing", "Asia/Kolkata"),
)
SERVICES_PER_TEAM = 5
KEYS_PER_SERVICE = 40
SEVERITIES = ("P1",) * 5 + ("P2",) * 20 + ("P3",) * 40 + ("P4",) * 35


def load(now: dt.datetime) -> dict:
    from django.contrib.auth import get_user_model

    from incidents.models import Alert, Incident, Service
    from oncall.models import Notification, Override, Rotation, RotationKind, RotationMember, Team, TeamRole
    from oncall.services import team_member_set
    from postmortems.models import ActionItem, PostMortem

    rng = random.Random(7)
    start = now - dt.timedelta(days=DAYS)
    user_model = get_user_model()
    teams, services, people = [], [], {}
    for name, zone in TEAMS:
        team = Team.objects.create(name=name, slug=name.lower(), time_zone=zone)
        teams.append(team)
        members = []
        for n in range(6):
            user = user_model.objects.create(username=f"{team.slug}{n}", first_name=name, last_name=f"Person {n}")
            team_member_set(team=team, user=user, role=TeamRole.MANAGER if n == 0 else TeamRole.ENGINEER)
            members.append(user)
        people[team.pk] = members
        for kind, who in ((RotationKind.PRIMARY, members[1:5]), (RotationKind.SECONDARY, members[4:6])):
            rotation = Rotation.objects.create(team=team, name=kind.label, kind=kind, start_date=start.date())
            RotationMember.objects.bulk_create(
                RotationMember(rotation=rotation, user=user, position=i) for i, user in enumerate(who)
            )
            for week in range(0, DAYS // 7, 9):  # an override every nine weeks
                at = start + dt.timedelta(days=7 * week + 2)
                Override.objects.create(rotation=rotation, user=who[-1], start=at, end=at + dt.timedelta(days=1))
        for n in range(SERVICES_PER_TEAM):
            reviewed = now - dt.timedelta(days=rng.choice([3, 12, 25, 45, 200])) if n % 4 else None
            services.append(Service.objects.create(team=team, name=f"{name} service {n}",
                                                   slug=f"{team.slug}-{n}", runbook_reviewed_at=reviewed))

    def incident(n: int) -> Incident:
        service = services[n % len(services)]
        severity = SEVERITIES[rng.randrange(len(SEVERITIES))]
        detected = start + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
        ack = detected + dt.timedelta(seconds=rng.randrange(30, 3600 if severity in ("P1", "P2") else 20000))
        identified = ack + dt.timedelta(seconds=rng.randrange(60, 7200))
        resolved = identified + dt.timedelta(seconds=rng.randrange(60, 14400))
        open_now = resolved > now or rng.random() < 0.01
        deadline = detected + dt.timedelta(minutes={"P1": 5, "P2": 15, "P3": 240, "P4": 1440}[severity])
        return Incident(
            service=service, title=f"Incident {n}", severity=severity, detected_at=detected,
            state="investigating" if open_now else rng.choice(["resolved", "closed"]),
            dedup_key=f"{service.slug}:{rng.randrange(KEYS_PER_SERVICE)}" if rng.random() < 0.8 else None,
            acknowledged_at=ack, investigating_at=ack, identified_at=None if open_now else identified,
            resolved_at=None if open_now else resolved, closed_at=None, ack_deadline=deadline,
            ack_breached_at=deadline if ack > deadline else None, false_alarm=rng.random() < 0.1,
        )

    progress = _support.Progress("incidents", TOTAL)
    for first in range(0, TOTAL, BATCH):
        # The open-incident unique index allows one open incident per dedup key: open ones get none.
        batch = [incident(n) for n in range(first, min(first + BATCH, TOTAL))]
        for row in batch:
            if row.state == "investigating":
                row.dedup_key = None
        progress.advance(len(Incident.objects.bulk_create(batch)))

    team_of_service = {s.pk: s.team_id for s in services}
    rows = list(Incident.objects.values_list("pk", "service_id", "detected_at", "severity", "dedup_key"))
    progress = _support.Progress("alerts", len(rows))
    for first in range(0, len(rows), BATCH):
        alerts = []
        for pk, service_id, detected, _severity, key in rows[first:first + BATCH]:
            for i in range(1 + (pk % 2)):
                at = detected + dt.timedelta(seconds=30 * i)
                alerts.append(Alert(incident_id=pk, service_id=service_id, received_at=at, last_received_at=at,
                                    dedup_key=key or f"k{pk}", fingerprint=f"fp-{key}" if key and i == 0 else "",
                                    action="firing" if i == 0 else "trigger"))
        Alert.objects.bulk_create(alerts)
        progress.advance(len(rows[first:first + BATCH]))

    created_at = Notification._meta.get_field("created_at")
    created_at.auto_now_add = False  # the pages keep their historical times
    progress = _support.Progress("page notifications", len(rows))
    for first in range(0, len(rows), BATCH):
        notes = []
        for pk, service_id, detected, severity, _key in rows[first:first + BATCH]:
            members = people[team_of_service[service_id]]
            paged = [members[1 + pk % 4]] + ([members[4 + pk % 2]] if severity in ("P1", "P2") else [])
            for level, user in enumerate(paged, start=1):
                at = detected + dt.timedelta(seconds=5 + 300 * (level - 1))
                for channel in ("email", "webhook") if user.pk % 2 else ("email",):
                    notes.append(Notification(
                        recipient=user, channel=channel, kind="page", topic=f"incident:{pk}", subject="Page",
                        body="…", idempotency_key=f"incident:{pk}:page:1:{level}:{user.pk}:{channel}",
                        status="sent", created_at=at, sent_at=at,
                    ))
        Notification.objects.bulk_create(notes)
        progress.advance(len(rows[first:first + BATCH]))
    created_at.auto_now_add = True

    reviewed = [(pk, detected, service_id) for pk, service_id, detected, sev, _ in rows if sev in ("P1", "P2")]
    progress = _support.Progress("post-mortems", len(reviewed))
    for first in range(0, len(reviewed), BATCH):
        chunk = reviewed[first:first + BATCH]
        postmortems = PostMortem.objects.bulk_create(
            PostMortem(incident_id=pk, title=f"Review {pk}") for pk, _, _ in chunk
        )
        items = []
        for postmortem, (_pk, detected, service_id) in zip(postmortems, chunk, strict=True):
            owner = people[team_of_service[service_id]][2]
            for i in range(2):
                due = (detected + dt.timedelta(days=7 + 21 * i)).date()
                done = rng.random() < 0.85 and due < now.date()
                finished = dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(
                    days=rng.choice([-3, -1, 0, 2]))
                items.append(ActionItem(postmortem=postmortem, title=f"Fix {i}", owner=owner, due_date=due,
                                        status="done" if done else "open", completed_at=finished if done else None))
        ActionItem.objects.bulk_create(items)
        progress.advance(len(chunk))
    return {"teams": teams}


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds the PostgreSQL backend serving us has used (Linux, database on this machine), else 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


BASELINE = Path(__file__).with_name("metrics_compute_baseline.json")


def measure(label: str, call) -> dict:
    """Wall-clock time (best and median of RUNS), as the pages and the API compute the metrics: recurrence and
    page load on a second connection meanwhile (incidents.metrics.summary.metrics_all). Then, all on one
    connection, the queries and the CPU time the work itself takes (this process and its PostgreSQL backend,
    without parallel workers), which other load on the machine does not inflate the way it inflates wall-clock
    time."""
    from django.db import connection

    times, count = [], [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    with connection.execute_wrapper(counter):
        call(side_connection=False)
    queries = count[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        cursor.execute("SET max_parallel_workers_per_gather = 0")  # all the work in the backend we can see
    cpu = []
    for _ in range(RUNS):
        client, backend = time.process_time(), _backend_cpu(pid)
        call(side_connection=False)
        cpu.append(time.process_time() - client + _backend_cpu(pid) - backend)
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")
    figures = {"best_ms": min(times) * 1000, "median_ms": statistics.median(times) * 1000, "queries": queries,
               "cpu_ms": min(cpu) * 1000}
    print(f"{label:<40} {_line(figures)}")
    return figures


def _line(figures: dict) -> str:
    return (f"best {figures['best_ms']:>7.1f} ms  median {figures['median_ms']:>7.1f} ms  "
            f"{figures['queries']:>3} queries  CPU {figures['cpu_ms']:>6.0f} ms")


def print_summary(results: dict[str, dict]) -> None:
    """This run's figures next to the baseline's (bench/metrics_compute_baseline.json)."""
    import json

    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    _support.heading(f"summary: all metrics, this run | before (load average now "
                     f"{', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    for label, figures in results.items():
        old = baseline.get(label)
        print(f"  {label:<26} {_line(figures)}   | " + (_line(old) if old else "(not measured)"))
    if baseline.get("_note"):
        print(f"  before: {baseline['_note']}")


def main() -> None:
    reuse = bool(os.environ.get("BENCH_METRICS_REUSE"))
    url = _support.reuse_database("bench_metrics") if reuse else _support.bench_database("bench_metrics")
    _support.django_setup()
    from django.db import connection
    from django.utils import timezone

    from incidents.metrics import metric_scope, metrics_all
    from oncall.models import Team

    try:
        if reuse:
            from incidents.models import Incident

            # The data end when they were loaded: measure up to then.
            now = Incident.objects.order_by("-detected_at").values_list("detected_at", flat=True).first()
        else:
            now = timezone.now()
            _support.heading(f"loading {TOTAL:,} incidents over {DAYS} days")
            started = time.monotonic()
            load(now)
            with connection.cursor() as cursor:
                # A steady state, as autovacuum keeps it: statistics, and the visibility hints a first read sets.
                cursor.execute("VACUUM ANALYZE")
            print(f"loaded in {time.monotonic() - started:.1f} s")
        with connection.cursor() as cursor:
            counts = []
            for table in ("incidents_incident", "incidents_alert", "oncall_notification", "postmortems_actionitem"):
                cursor.execute(f"SELECT count(*) FROM {table}")
                counts.append(f"{cursor.fetchone()[0]:,} {table.split('_', 1)[1]}")
        print(f"data: {', '.join(counts)}")

        teams = Team.objects.all()
        team = teams.order_by("pk").first()
        world = {"teams": list(teams)}
        _support.heading(f"all metrics (incidents.metrics.metrics_all), {RUNS} runs each")

        def one_team(**options):
            return metrics_all(metric_scope(teams=teams, team=team.slug, since=now - dt.timedelta(days=90),
                                            until=now), **options)

        def all_teams(**options):
            return metrics_all(metric_scope(teams=teams, since=now - dt.timedelta(days=90), until=now), **options)

        def everything(**options):
            return metrics_all(metric_scope(teams=teams, since=now - dt.timedelta(days=DAYS), until=now), **options)

        print(f"load average before measuring: {', '.join(f'{n:.2f}' for n in os.getloadavg())} "
              f"on {os.cpu_count()} CPUs (other work on the machine slows every figure below)")
        results = {
            "one team, last 90 days": measure(f"one team ({team.name}), last 90 days", one_team),
            "all teams, last 90 days": measure(f"all {len(world['teams'])} teams, last 90 days", all_teams),
            "everything": measure(f"everything ({len(world['teams'])} teams, {DAYS} days)", everything),
        }
        data = everything()
        print("\nheadlines for everything:")
        for row in data["headlines"]:
            print(f"  {row['label']:<32} {row['display']:>14}  target {row['target'] or '—':<32} {row['status']}")
        print_summary(results)
        best = results["everything"]["best_ms"] / 1000
        if best >= 1.0:
            raise SystemExit(f"everything took {best:.2f} s at best; the target is well under a second")
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE") and not reuse:
            _support.drop_database(url)


if __name__ == "__main__":
    main()
