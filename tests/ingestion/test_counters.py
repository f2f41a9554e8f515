"""Events received and the last event time: buffered per process, written about once a second."""

import time

import pytest

from incidents.ingestion import counters
from incidents.models import Integration


@pytest.mark.django_db
def test_counts_are_written_at_most_once_per_interval(events_integration, settings, django_assert_num_queries):
    settings.INGESTION_COUNTER_FLUSH_SECONDS = 3600
    counters.counters_flush()  # start an interval now
    at = events_integration.created_at
    with django_assert_num_queries(0):
        for _ in range(5):
            counters.event_counted(events_integration.pk, at)
    assert Integration.objects.get(pk=events_integration.pk).events_received == 0
    assert counters.counters_flush() == 1
    integration = Integration.objects.get(pk=events_integration.pk)
    assert (integration.events_received, integration.last_event_at) == (5, at)
    if counters._timer is not None:
        counters._timer.cancel()
        counters._timer = None


@pytest.mark.django_db
def test_the_last_event_time_never_moves_back(events_integration):
    later = events_integration.created_at
    earlier = later.replace(year=later.year - 1)
    counters.event_counted(events_integration.pk, later)
    counters.event_counted(events_integration.pk, earlier)  # another process flushing late
    counters.counters_flush()
    assert Integration.objects.get(pk=events_integration.pk).last_event_at == later


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_when_traffic_stops_a_timer_writes_the_rest(events_integration, settings):
    settings.INGESTION_COUNTER_FLUSH_SECONDS = 0.3
    counters.counters_flush()
    for _ in range(3):
        counters.event_counted(events_integration.pk, events_integration.created_at)
    deadline = time.monotonic() + 5
    while Integration.objects.get(pk=events_integration.pk).events_received < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Integration.objects.get(pk=events_integration.pk).events_received == 3
