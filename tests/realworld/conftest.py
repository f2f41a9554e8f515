"""Fixtures for tests with real components: a private redis-server per test, Celery worker and beat
subprocesses on pytest-django's test database, and a local webhook receiver.

These tests commit for real (transaction=True) and run only on PostgreSQL: the subprocesses must see what the
test wrote, and the test what they wrote."""

from urllib.parse import quote

import pytest
from django.conf import settings

from oncall.models import OnCallProfile, RotationKind, TeamRole
from tests.factories.oncall import responder, rotation_with
from tests.realworld import harness


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def redis_server():
    server = harness.RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process publishes to the private redis-server too (and back to the configured broker after)."""
    harness.use_broker(redis_server.url)
    yield redis_server
    harness.use_broker(None)


@pytest.fixture
def receiver():
    hook = harness.WebhookReceiver().start()
    yield hook
    hook.stop()


@pytest.fixture
def components(transactional_db, broker):
    """start("worker" | "beat", **env) -> a started CeleryProcess on the test database and the private broker;
    everything started is stopped (SIGTERM, then SIGKILL) before the database is flushed."""
    started: list[harness.CeleryProcess] = []

    def start(kind: str = "worker", *, concurrency: int = 1, name: str = "w1", **extra_env):
        env = harness.component_env(database_url=test_database_url(), broker_url=broker.url,
                                    **{k: str(v) for k, v in extra_env.items()})
        process = harness.worker(env, concurrency=concurrency, name=name) if kind == "worker" else harness.beat(env)
        started.append(process)
        return process.start()

    yield start
    for process in reversed(started):
        process.stop()
        # Captured by pytest and shown only when the test fails.
        print(f"----- celery {process.kind} log -----\n{process.output()[-6000:]}")
        process.cleanup()


@pytest.fixture
def on_call(team, receiver):
    """Payments' single-member primary and secondary rotations; everyone's webhook is the local receiver,
    sharing one secret so the receiver can check every signature."""
    import datetime as dt

    users = {name: responder(team, role, username=name, first_name=name.capitalize(), last_name="Payments")
             for name, role in [("pia", TeamRole.ENGINEER), ("sara", TeamRole.ENGINEER), ("lena", TeamRole.LEAD),
                                ("mona", TeamRole.MANAGER)]}
    rotation_with(team, [users["pia"]], kind=RotationKind.PRIMARY, name="Primary", start_date=dt.date(2020, 1, 6))
    rotation_with(team, [users["sara"]], kind=RotationKind.SECONDARY, name="Secondary",
                  start_date=dt.date(2020, 1, 6))
    receiver.secret = "shared-test-secret"
    OnCallProfile.objects.filter(user__in=users.values()).update(webhook_url=receiver.url,
                                                                 webhook_secret=receiver.secret)
    return users
