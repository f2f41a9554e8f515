"""Benchmark: the paging sweep over 100,000 open incidents of which 1,000 are due.

Loads (bulk inserts, in a database of its own) 100,000 open incidents: 1,000 due for everything the sweep does
(their level 2 is due, their acknowledgement deadline passed, their status update is due), 9,000 detected but
not due yet, 90,000 acknowledged and quiet. Then it prints the query plans of the sweep's selects (each must
use its partial index), runs the sweep and reports its time and query count, runs it again with nothing due,
and does the same for the outbox's re-send sweep over 100,000 sent and 1,000 overdue notifications.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchkeeper python bench/paging_sweep.py
"""

from __future__ import annotations

import datetime as dt
import os
import time

import _support

TOTAL = int(os.environ.get("BENCH_INCIDENTS", 100_000))
DUE = int(os.environ.get("BENCH_DUE", 1_000))
NOT_YET_DUE = TOTAL // 10 - DUE
BATCH = 5_000


def load(now: dt.datetime) -> dict:
    from incidents.models import Incident, Page, PageKind, Service
    from incidents.services.paging import escalation_freeze  # noqa: F401 (the snapshot comes from the policy)
    from oncall.models import EscalationPolicy, OnCallProfile, Rotation, RotationKind, RotationMember, Team, TeamRole
    from oncall.services import team_member_set
    from tests.factories.oncall import UserFactory

    team = Team.objects.create(name="Payments", slug="payments", time_zone="Europe/Berlin")
    people = {}
    for name, role in [("pia", TeamRole.ENGINEER), ("paul", TeamRole.ENGINEER), ("sara", TeamRole.ENGINEER),
                       ("sven", TeamRole.ENGINEER), ("lena", TeamRole.LEAD), ("mona", TeamRole.MANAGER)]:
        people[name] = UserFactory(username=name, first_name=name.capitalize(), last_name="Payments")
        team_member_set(team=team, user=people[name], role=role)
        OnCallProfile.objects.create(user=people[name], webhook_url=f"https://hooks.example.com/{name}")
    for kind, names in ((RotationKind.PRIMARY, ("pia", "paul")), (RotationKind.SECONDARY, ("sara", "sven"))):
        rotation = Rotation.objects.create(team=team, name=kind.label, kind=kind, start_date=dt.date(2020, 1, 6))
        for position, name in enumerate(names):
            RotationMember.objects.create(rotation=rotation, user=people[name], position=position)
    policy = EscalationPolicy.objects.get(team=team, is_default=True)
    snapshot = policy.snapshot()
    services = [Service.objects.create(team=team, name=f"Service {n}", slug=f"service-{n}") for n in range(10)]

    def incident(n: int) -> Incident:
        service = services[n % len(services)]
        if n < DUE:  # due for level 2, for the breach and for the update reminder
            detected = now - dt.timedelta(minutes=6, seconds=n % 50)
            return Incident(
                service=service, title=f"Due {n}", severity="P1", state="detected", detected_at=detected,
                ack_deadline=detected + dt.timedelta(minutes=5), next_update_due_at=now - dt.timedelta(seconds=10),
                escalation_policy_name=policy.name, escalation_snapshot=snapshot, escalation_started_at=detected,
                next_escalation_at=detected + dt.timedelta(minutes=5),
            )
        if n < DUE + NOT_YET_DUE:  # detected a moment ago: level 2 and the deadline are still ahead
            detected = now - dt.timedelta(seconds=n % 200)
            return Incident(
                service=service, title=f"Fresh {n}", severity="P2", state="detected", detected_at=detected,
                ack_deadline=detected + dt.timedelta(minutes=15), next_update_due_at=detected + dt.timedelta(hours=1),
                escalation_policy_name=policy.name, escalation_snapshot=snapshot, escalation_started_at=detected,
                next_escalation_at=detected + dt.timedelta(minutes=5),
            )
        detected = now - dt.timedelta(hours=2, seconds=n)
        return Incident(  # acknowledged and being worked on: nothing due
            service=service, title=f"Quiet {n}", severity="P2", state="investigating", detected_at=detected,
            ack_deadline=detected + dt.timedelta(minutes=15), acknowledged_at=detected + dt.timedelta(minutes=3),
            investigating_at=detected + dt.timedelta(minutes=4), acknowledged_by=people["pia"],
            next_update_due_at=now + dt.timedelta(seconds=60 + n % 3600),
            escalation_policy_name=policy.name, escalation_snapshot=snapshot, escalation_started_at=detected,
            escalation_ended_at=detected + dt.timedelta(minutes=3),
        )

    progress = _support.Progress("incidents", TOTAL)
    for start in range(0, TOTAL, BATCH):
        created = Incident.objects.bulk_create([incident(n) for n in range(start, min(start + BATCH, TOTAL))])
        progress.advance(len(created))
    due = Incident.objects.filter(title__startswith="Due ").values_list("pk", "detected_at")
    Page.objects.bulk_create(
        Page(incident_id=pk, kind=PageKind.ESCALATION, cycle=1, level=1, target_label="Primary on-call",
             recipients=[{"id": people["pia"].pk, "name": "Pia Payments"}], due_at=at, paged_at=at)
        for pk, at in due
    )
    return people


def load_outbox(now: dt.datetime, people: dict) -> None:
    from oncall.models import Notification, NotificationStatus

    progress = _support.Progress("sent notifications", TOTAL)
    users = list(people.values())
    for start in range(0, TOTAL, BATCH):
        rows = [
            Notification(recipient=users[n % len(users)], channel="email", subject=f"Old {n}", body="…",
                         idempotency_key=f"bench:old:{n}", status=NotificationStatus.SENT, attempts=1,
                         sent_at=now - dt.timedelta(days=1))
            for n in range(start, min(start + BATCH, TOTAL))
        ]
        progress.advance(len(Notification.objects.bulk_create(rows)))
    Notification.objects.bulk_create(
        Notification(recipient=users[n % len(users)], channel="webhook", subject=f"Lost {n}", body="…",
                     idempotency_key=f"bench:lost:{n}", next_attempt_at=now - dt.timedelta(minutes=2))
        for n in range(DUE)
    )


def explain(label: str, queryset) -> None:
    from django.db import transaction

    with transaction.atomic():  # EXPLAIN ANALYZE really locks the rows: roll it back
        plan = queryset.explain(analyze=True, buffers=True, costs=False, timing=True)
        transaction.set_rollback(True)
    print(f"\n-- {label}")
    print("\n".join("   " + line for line in plan.splitlines()))
    if "Index Scan" not in plan and "Index Only Scan" not in plan:
        raise SystemExit(f"{label}: the plan does not use an index")


class Handover:
    """Times the after-commit hand-over of outbox rows to the broker, inside the sweep's time."""

    def __init__(self):
        from oncall.services import notifications

        self.original, self.seconds, self.messages = notifications.notifications_dispatch, 0.0, 0

        def timed(ids):
            started = time.perf_counter()
            try:
                return self.original(ids)
            finally:
                self.seconds += time.perf_counter() - started
                self.messages += len(ids)

        notifications.notifications_dispatch = timed

    def reset(self) -> None:
        self.seconds, self.messages = 0.0, 0


def measure(label: str, call, handover: Handover) -> tuple[object, float, int]:
    from django.db import connection

    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    handover.reset()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    print(f"{label:<44} {elapsed * 1000:>9.1f} ms {count[0]:>7} queries   {result}")
    if handover.messages:
        print(f"{'':<44} {handover.seconds * 1000:>9.1f} ms of it handing {handover.messages:,} messages to the broker")
    return result, elapsed, count[0]


def main() -> None:
    url = _support.bench_database("bench_sweep")
    _support.django_setup()
    from django.db import connection
    from django.utils import timezone

    from incidents.services.paging.breaches import due_ack_breaches
    from incidents.services.paging.escalation import due_escalations
    from incidents.services.paging.reminders import due_reminders
    from incidents.services.paging.sweep import paging_sweep
    from oncall.services.notifications import notifications_resend_pending, overdue_notifications
    from tests.realworld.harness import RedisServer, use_broker

    redis = RedisServer().start()  # the sweep hands deliveries to a broker after commit: a private one
    use_broker(redis.url)
    try:
        now = timezone.now()
        _support.heading(f"loading {TOTAL:,} open incidents ({DUE:,} due) and {TOTAL:,} sent notifications")
        started = time.monotonic()
        people = load(now)
        load_outbox(now, people)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM incidents_incident")
            print(f"loaded in {time.monotonic() - started:.1f} s: {cursor.fetchone()[0]:,} incidents")

        _support.heading("query plans of the sweeps' selects (EXPLAIN ANALYZE, one batch each)")
        explain("escalations due (batch of 100)", due_escalations(now)[:100])
        explain("acknowledgement deadlines passed (batch of 500)", due_ack_breaches(now)[:500])
        explain("status updates due (batch of 200)", due_reminders(now)[:200])
        explain("overdue outbox rows (batch of 1000)", overdue_notifications(now - dt.timedelta(minutes=1))[:1000])

        _support.heading("the paging sweep (one run at one instant; time includes the hand-over to the broker)")
        handover = Handover()
        result, seconds, queries = measure(f"sweep with {DUE:,} incidents due", lambda: paging_sweep(now=now), handover)
        pages = result["escalations"] + result["ack_breaches"] + result["reminders"]
        print(f"{'':<44} {seconds * 1000 / pages:>9.2f} ms {queries / pages:>7.1f} queries per due item "
              f"({pages:,} items)")
        measure("sweep again, nothing due", lambda: paging_sweep(now=now), handover)
        later = now + dt.timedelta(seconds=15)
        measure("sweep 15 s later, nothing due", lambda: paging_sweep(now=later), handover)

        _support.heading("the outbox re-send sweep")
        measure(f"re-send with {DUE:,} overdue of {TOTAL + DUE:,} rows", lambda: notifications_resend_pending(now=now),
                handover)
        measure("re-send again, nothing overdue", lambda: notifications_resend_pending(now=now), handover)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_relation_size('incident_escalation_due')), "
                           "pg_size_pretty(pg_relation_size('incident_ack_sla_due')), "
                           "pg_size_pretty(pg_relation_size('incident_update_due')), "
                           "pg_size_pretty(pg_relation_size('incidents_incident'))")
            sizes = cursor.fetchone()
        print(f"\nindex sizes: escalation {sizes[0]}, ack SLA {sizes[1]}, update due {sizes[2]}; table {sizes[3]}")
    finally:
        use_broker(None)
        redis.stop()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            _support.drop_database(url)


if __name__ == "__main__":
    main()
