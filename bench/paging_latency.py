"""Benchmark: how long from a page falling due to the webhook receiver getting it, with a real worker and beat.

Two paths, a few hundred pages each, in a database of its own with a private redis-server:
- level 1 at declaration: the declaring transaction kicks a worker after commit (due time = detection);
- a later level (level 2, five minutes after detection): found by the paging sweep that beat runs every
  PAGING_SWEEP_SECONDS (15 s by default), so its delay is bounded by the sweep interval.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchkeeper python bench/paging_latency.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

import _support

LEVEL1 = int(os.environ.get("BENCH_LEVEL1_PAGES", 200))
LEVEL2 = int(os.environ.get("BENCH_LEVEL2_PAGES", 300))
SPREAD = 60  # seconds over which the level-2 due times are spread
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", 2))
RATE = float(os.environ.get("BENCH_DECLARE_RATE", 10))  # declarations per second for level 1


def setup_team(receiver_url: str, secret: str):
    from incidents.models import Service
    from oncall.models import OnCallProfile, Rotation, RotationKind, RotationMember, Team, TeamRole
    from oncall.services import team_member_set
    from tests.factories.oncall import UserFactory

    team = Team.objects.create(name="Payments", slug="payments", time_zone="Europe/Berlin")  # gets the default policy
    for kind, name in ((RotationKind.PRIMARY, "pia"), (RotationKind.SECONDARY, "sara")):
        user = UserFactory(username=name, first_name=name.capitalize(), last_name="Payments")
        team_member_set(team=team, user=user, role=TeamRole.ENGINEER)
        OnCallProfile.objects.create(user=user, webhook_url=receiver_url, webhook_secret=secret)
        rotation = Rotation.objects.create(team=team, name=kind.label, kind=kind, start_date=dt.date(2020, 1, 6))
        RotationMember.objects.create(rotation=rotation, user=user, position=0)
    return Service.objects.create(team=team, name="Checkout API", slug="checkout-api")


def summary(label: str, delays: list[float]) -> None:
    p = _support.percentile
    print(f"{label:<52} n={len(delays):>4}  p50 {p(delays, 50) * 1000:>8.0f} ms  p90 {p(delays, 90) * 1000:>8.0f} ms"
          f"  p99 {p(delays, 99) * 1000:>8.0f} ms  max {max(delays) * 1000:>8.0f} ms")


def main() -> None:
    url = _support.bench_database("bench_latency")
    _support.django_setup()
    from django.conf import settings
    from django.utils import timezone

    from incidents.services import incident_declare
    from tests.realworld import harness

    redis = harness.RedisServer().start()
    harness.use_broker(redis.url)
    receiver = harness.WebhookReceiver(secret="bench-secret").start()
    env = harness.component_env(database_url=url, broker_url=redis.url)
    processes = []
    try:
        service = setup_team(receiver.url, receiver.secret)
        processes.append(harness.worker(env, concurrency=CONCURRENCY).start())
        processes.append(harness.beat(env).start())
        print(f"worker (concurrency {CONCURRENCY}) and beat running; paging sweep every "
              f"{settings.PAGING_SWEEP_SECONDS} s")

        def deliveries(level: int) -> list:
            with receiver.lock:
                return [d for d in receiver.unique.values()
                        if d.body.get("kind") == "page" and d.body["data"].get("level") == level]

        _support.heading(f"level 1: {LEVEL1} incidents declared at ~{RATE:g} per second, each paged after commit")
        declared = {}
        for n in range(LEVEL1):
            incident, _ = incident_declare(service=service, title=f"Latency {n}", severity="P1")
            declared[incident.pk] = incident.detected_at.timestamp()
            time.sleep(1 / RATE)
        harness.wait_for(lambda: len(deliveries(1)) >= LEVEL1, timeout=120, message="the level-1 pages")
        level1 = [d.received_at - declared[d.body["data"]["incident_id"]] for d in deliveries(1)]

        _support.heading(f"level 2: {LEVEL2} incidents whose level 2 falls due over the next {SPREAD} s")
        now = timezone.now()
        due_at = {}
        for n in range(LEVEL2):
            due = now + dt.timedelta(seconds=5 + random.uniform(0, SPREAD))  # noqa: S311
            incident, _ = incident_declare(service=service, title=f"Later {n}", severity="P1",
                                           detected_at=due - dt.timedelta(minutes=5))
            due_at[incident.pk] = due.timestamp()
        harness.wait_for(lambda: len(deliveries(2)) >= LEVEL2, timeout=SPREAD + 120, message="the level-2 pages")
        level2 = [d.received_at - due_at[d.body["data"]["incident_id"]] for d in deliveries(2)]

        _support.heading("delay from due time to the webhook receiver")
        summary("level 1 (kicked after the declaring commit)", level1)
        summary(f"level 2 (found by the {settings.PAGING_SWEEP_SECONDS}-s beat sweep)", level2)
        raw, unique = receiver.count()
        print(f"receiver: {raw} requests, {unique} distinct deliveries, "
              f"{sum(not d.signature_ok for d in receiver.requests)} bad signatures")
    finally:
        for process in reversed(processes):
            process.stop()
            process.cleanup()
        receiver.stop()
        harness.use_broker(None)
        redis.stop()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            _support.drop_database(url)


if __name__ == "__main__":
    main()
