"""Integration keys (hashed, cached per process, rotatable) and the per-integration rate limit."""

import pytest

from incidents.ingestion import keys, limits
from incidents.ingestion.counters import counters_flush
from incidents.ingestion.services import integration_create, integration_rotate_key, integration_update
from incidents.models import Alert, Incident, Integration
from incidents.models.integration import KEY_LENGTH, hash_key
from tests.ingestion.conftest import notification, trigger

pytestmark = pytest.mark.django_db


def test_keys_are_32_alphanumerics_and_only_their_hash_is_stored(events_integration):
    key = events_integration.key
    assert len(key) == KEY_LENGTH and key.isalnum()
    stored = Integration.objects.filter(pk=events_integration.pk).values()[0]
    assert key not in str(stored)
    assert stored["key_hash"] == hash_key(key) and stored["key_prefix"] == key[:6]


def test_an_inactive_integration_is_refused(enqueue, events_integration):
    integration_update(user=None, integration=events_integration, is_active=False)
    response = enqueue(trigger(events_integration.key))
    assert response.status_code == 400 and response.json()["errors"] == ["Invalid routing key"]


def test_an_alertmanager_key_is_not_a_routing_key(enqueue, am_integration):
    response = enqueue(trigger(am_integration.key))
    assert response.status_code == 400 and response.json()["errors"] == ["Invalid routing key"]


def test_rotating_a_key_retires_the_old_one_at_once_in_this_process(enqueue, events_integration):
    old = events_integration.key
    assert enqueue(trigger(old)).status_code == 202  # cached now
    integration, new = integration_rotate_key(user=None, integration=events_integration)
    keys.integration_changed()  # what the rotation's on_commit does (tests run inside a transaction)
    assert new != old and integration.key_rotated_at is not None
    assert enqueue(trigger(old)).status_code == 400
    assert enqueue(trigger(new)).status_code == 202


def test_the_lookup_is_cached_for_a_while(events_integration, django_assert_num_queries, settings):
    settings.INGESTION_KEY_CACHE_SECONDS = 60
    with django_assert_num_queries(1):
        for _ in range(5):
            assert keys.integration_for_key(events_integration.key).pk == events_integration.pk
    with django_assert_num_queries(1):
        for _ in range(3):
            assert keys.integration_for_key("U" * 32) is None  # unknown keys are cached too


def test_other_processes_see_a_rotation_within_the_ttl(events_integration, settings):
    settings.INGESTION_KEY_CACHE_SECONDS = 0  # as if the TTL had passed
    assert keys.integration_for_key(events_integration.key) is not None
    integration_rotate_key(user=None, integration=events_integration)
    assert keys.integration_for_key(events_integration.key) is None


def test_only_managers_of_the_team_manage_integrations(service, engineer, manager, outsider):
    from django.core.exceptions import PermissionDenied

    for user in (engineer, outsider):
        with pytest.raises(PermissionDenied):
            integration_create(user=user, service=service, name="x", kind="events_v2")
    integration, _ = integration_create(user=manager, service=service, name="Grafana", kind="events_v2")
    with pytest.raises(PermissionDenied):
        integration_rotate_key(user=engineer, integration=integration)


def test_a_mapping_to_something_else_than_p1_p4_is_refused(events_integration):
    from config.errors import ApplicationError

    with pytest.raises(ApplicationError, match="Map to one of P1, P2, P3, P4; not P0"):
        integration_update(user=None, integration=events_integration, severity_mapping={"critical": "P0"})


# --- rate limit


def test_over_the_limit_is_429_and_not_stored(enqueue, events_integration):
    integration_update(user=None, integration=events_integration, rate_limit_per_minute=3)
    keys.integration_changed()
    statuses = [enqueue(trigger(events_integration.key)).status_code for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    response = enqueue(trigger(events_integration.key))
    assert response["Retry-After"] == "60"
    assert response.json()["status"] == "throttle exceeded"
    assert Alert.objects.count() == 3
    counters_flush()
    events_integration.refresh_from_db()
    assert events_integration.events_received == 3


def test_the_limit_is_per_integration_and_per_minute(events_integration, service):
    other, _ = integration_create(user=None, service=service, name="Other", kind="events_v2", rate_limit_per_minute=2)
    integration_update(user=None, integration=events_integration, rate_limit_per_minute=2)
    ref = keys.integration_for_key(events_integration.key)
    other_ref = keys._load(other.key_hash)
    minute = 1_800_000_000 // 60 * 60
    assert [limits.rate_limit_allows(ref, now=minute) for _ in range(3)] == [True, True, False]
    assert limits.rate_limit_allows(other_ref, now=minute)
    assert limits.rate_limit_allows(ref, now=minute + 60)  # the next minute


def test_zero_means_no_limit(enqueue, events_integration, django_assert_num_queries):
    integration_update(user=None, integration=events_integration, rate_limit_per_minute=0)
    ref = keys.integration_for_key(events_integration.key)
    with django_assert_num_queries(0):
        assert all(limits.rate_limit_allows(ref) for _ in range(100))


def test_large_limits_reserve_shares_so_a_storm_costs_one_count_per_share(events_integration,
                                                                         django_assert_num_queries):
    integration_update(user=None, integration=events_integration, rate_limit_per_minute=6000)
    ref = keys.integration_for_key(events_integration.key)
    assert limits.share_size(6000) == 30
    with django_assert_num_queries(2):
        assert all(limits.rate_limit_allows(ref, now=3_600_000) for _ in range(60))


def test_shares_never_let_more_than_the_limit_through(events_integration, monkeypatch):
    """Two processes (two books of reserved shares) counting on one counter: together never over the limit."""
    integration_update(user=None, integration=events_integration, rate_limit_per_minute=1000)  # shares of 5
    ref = keys.integration_for_key(events_integration.key)
    books = [{}, {}]
    accepted = 0
    for n in range(1500):
        monkeypatch.setattr(limits, "_shares", books[n % 3 % 2])  # uneven traffic between the two
        accepted += limits.rate_limit_allows(ref, now=7_200_000)
    assert 1000 - 2 * limits.share_size(1000) <= accepted <= 1000


def test_the_limit_is_counted_in_redis_when_configured(events_integration, settings):
    import redis

    from tests.realworld.harness import RedisServer

    server = RedisServer().start()  # a private redis-server, never the shared one
    try:
        settings.INGESTION_REDIS_URL = server.url
        integration_update(user=None, integration=events_integration, rate_limit_per_minute=2)
        ref = keys.integration_for_key(events_integration.key)
        assert [limits.rate_limit_allows(ref, now=60_000) for _ in range(3)] == [True, True, False]
        client = redis.Redis.from_url(server.url)
        key = f"watchkeeper:ingest:rate:{ref.key_hash[:24]}:1000"
        assert int(client.get(key)) == 3 and 0 < client.ttl(key) <= 120
    finally:
        server.stop()


def test_redis_down_lets_events_through(events_integration, settings, caplog):
    settings.INGESTION_REDIS_URL = "redis://127.0.0.1:1/0"
    integration_update(user=None, integration=events_integration, rate_limit_per_minute=1)
    ref = keys.integration_for_key(events_integration.key)
    assert limits.rate_limit_allows(ref) and limits.rate_limit_allows(ref)
    assert "Rate limit not counted" in caplog.text


def test_alertmanager_is_rate_limited_too(alertmanager, am_integration):
    integration_update(user=None, integration=am_integration, rate_limit_per_minute=1)
    keys.integration_changed()
    assert alertmanager(notification()).status_code == 200
    assert alertmanager(notification()).status_code == 429
    assert Incident.objects.count() == 1


def test_alertmanager_bodies_over_4_mb_are_413(alertmanager):
    response = alertmanager(None, raw=b"[" + b" " * (4 * 1024 * 1024) + b"]")
    assert response.status_code == 413
