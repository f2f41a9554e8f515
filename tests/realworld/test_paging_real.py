"""Paging with real components: a Celery worker (and beat) subprocess against Redis and PostgreSQL delivers
pages to a local webhook receiver, and keeps doing so when the worker is killed, the broker stops, or two
sweeps run at once."""

import datetime as dt
import time
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import Incident, Page, PageKind
from incidents.tasks import paging_sweep
from oncall.models import Notification, NotificationChannel, NotificationStatus
from oncall.tasks import notifications_resend_pending
from tests.factories import IncidentFactory
from tests.realworld.harness import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def webhook_rows(incident):
    return Notification.objects.filter(topic=f"incident:{incident.pk}", channel=NotificationChannel.WEBHOOK)


def sent(rows) -> bool:
    return rows.exists() and not rows.exclude(status=NotificationStatus.SENT).exists()


def test_a_declared_incident_pages_the_on_call_through_a_real_worker(service, on_call, receiver, components):
    components("worker")
    incident = IncidentFactory(service=service, severity="P1", title="Checkout returns 503")
    wait_for(lambda: receiver.count()[1] == 1, timeout=15, message="the page at the receiver")
    (delivery,) = receiver.requests
    assert delivery.signature_ok
    assert delivery.body["data"]["incident_id"] == incident.pk and delivery.body["data"]["level"] == 1
    assert delivery.body["recipient"]["username"] == "pia"
    assert delivery.delivery_id == f"incident:{incident.pk}:page:1:1:{on_call['pia'].pk}:webhook"
    wait_for(lambda: sent(webhook_rows(incident)), timeout=10, message="the row marked sent")


def test_a_worker_killed_mid_delivery_is_replaced_and_the_page_arrives_exactly_once(
    service, on_call, receiver, components
):
    receiver.slow_first = 4.0  # under the 5 s timeout: the kill lands while the worker waits for the answer
    first = components("worker", name="doomed")
    incident = IncidentFactory(service=service, severity="P1")
    assert receiver.arrived.wait(15), "the first attempt never reached the receiver"
    first.kill()  # SIGKILL, worker and pool, mid-request
    (row,) = webhook_rows(incident)
    assert row.status == NotificationStatus.PENDING and row.attempts == 0  # its transaction died with it

    def lock_released() -> bool:  # PostgreSQL notices the dead connection and rolls its transaction back
        with transaction.atomic():
            return Notification.objects.select_for_update(skip_locked=True).filter(pk=row.pk).exists()

    wait_for(lock_released, timeout=10, message="the dead worker's row lock to go")
    # A minute passes (simulated): the row is overdue, so the re-send sweep hands it to the broker again.
    Notification.objects.filter(topic=f"incident:{incident.pk}", status=NotificationStatus.PENDING).update(
        next_attempt_at=F("next_attempt_at") - dt.timedelta(minutes=2)
    )
    components("worker", name="replacement")
    notifications_resend_pending.delay()
    wait_for(lambda: sent(webhook_rows(incident)), timeout=20, message="the replacement worker's delivery")
    assert receiver.count() == (2, 1)  # sent twice (the first answer never came back), deduped to one
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1) and row.sent_at is not None
    assert Page.objects.filter(incident=incident).count() == 1


def test_with_the_broker_down_incidents_are_still_declared_and_paged_once_it_is_back(
    service, on_call, receiver, components, broker
):
    components("worker")
    components("beat", PAGING_SWEEP_SECONDS=1)
    broker.stop()
    started = time.monotonic()
    incident = IncidentFactory(service=service, severity="P1")
    assert time.monotonic() - started < 5  # the failed hand-over to the broker does not hold the request up
    assert Incident.objects.filter(pk=incident.pk).exists()
    time.sleep(1.5)
    assert receiver.count() == (0, 0) and not Page.objects.filter(incident=incident).exists()
    broker.start()  # same port: worker and beat reconnect
    wait_for(lambda: receiver.count()[1] == 1, timeout=25, message="the page after the broker came back")
    wait_for(lambda: sent(webhook_rows(incident)), timeout=10, message="the row marked sent")
    assert receiver.count() == (1, 1)
    assert list(Page.objects.filter(incident=incident).values_list("level", flat=True)) == [1]


def test_concurrent_sweeps_through_the_broker_send_each_page_once(service, on_call, receiver, components):
    long_ago = timezone.now() - dt.timedelta(minutes=61)  # every level of a P1 is due
    with mock.patch("incidents.tasks.escalate_incident.apply_async"):  # leave the paging to the sweeps
        incidents = [IncidentFactory(service=service, severity="P1", detected_at=long_ago) for _ in range(12)]
    components("worker", concurrency=4)
    for _ in range(4):
        paging_sweep.delay()
    # Five levels, one webhook each; and the update due 30 minutes after detection is reminded once, too.
    expected = {"page": len(incidents) * 5, "reminder": len(incidents)}
    total = sum(expected.values())
    wait_for(lambda: receiver.count()[1] >= total, timeout=25, message=f"{total} messages at the receiver")
    time.sleep(1)  # anything sent twice would arrive now
    assert receiver.count() == (total, total)
    kinds = [d.body["kind"] for d in receiver.requests]
    assert {kind: kinds.count(kind) for kind in expected} == expected
    assert all(d.signature_ok for d in receiver.requests)
    assert Page.objects.filter(kind=PageKind.ESCALATION).count() == expected["page"]
    wait_for(lambda: not Notification.objects.exclude(status=NotificationStatus.SENT).exists(), timeout=15,
             message="every row marked sent")
