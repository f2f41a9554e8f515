"""Real concurrent transactions on PostgreSQL: a maintenance window starting while escalations are in flight.
The escalation sweep, the maintenance sweep and outbox deliverers race; no page goes out after the start."""

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import Incident, Page, TimelineEntry, TimelineKind
from incidents.services.paging import escalations_sweep
from incidents.services.paging.maintenance import maintenance_sweep
from oncall.models import Notification, NotificationKind, NotificationStatus
from oncall.services.notifications import notification_deliver
from tests.factories import IncidentFactory
from tests.factories.maintenance import MaintenanceWindowFactory
from tests.incidents.test_paging_concurrency import no_broker, on_call, run_at_once  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def deliver_all(ids):
    return [notification_deliver(notification_id=pk).status for pk in ids]


@pytest.mark.usefixtures("on_call")
def test_a_window_starting_mid_escalation_races_sweeps_and_deliverers(service, time_machine):
    t0 = timezone.now().replace(microsecond=0)
    time_machine.move_to(t0, tick=False)
    incidents = [IncidentFactory(service=service, severity="P1") for _ in range(12)]
    escalations_sweep(now=t0)  # level 1 paged; its messages wait in the outbox (no worker)
    queued = list(Notification.objects.filter(kind=NotificationKind.PAGE).values_list("pk", flat=True))
    assert len(queued) == 12
    start = t0 + dt.timedelta(minutes=5)  # planned ahead, starting just as level 2 comes due
    MaintenanceWindowFactory(team=service.team, service=service, starts_at=start,
                             ends_at=start + dt.timedelta(hours=1))

    later = start + dt.timedelta(seconds=1)
    time_machine.move_to(later, tick=False)  # no sweep has run since the start
    results = run_at_once(
        lambda: escalations_sweep(now=later),
        lambda: maintenance_sweep(now=later),
        lambda: escalations_sweep(now=later, batch_size=3),
        lambda: deliver_all(queued),
        lambda: deliver_all(list(reversed(queued))),
    )
    assert all(kind == "ok" for kind, _ in results), results

    assert not Page.objects.filter(paged_at__gte=start).exists()  # no level 2
    assert not Notification.objects.filter(status=NotificationStatus.SENT).exists()
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.CANCELLED}
    for incident in Incident.objects.filter(pk__in=[i.pk for i in incidents]):
        assert incident.paging_held_until == start + dt.timedelta(hours=1) and incident.next_escalation_at is None
        holds = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.ESCALATION,
                                             data__event="maintenance_hold")
        assert holds.count() == 1  # held exactly once, by whichever sweep got it first
