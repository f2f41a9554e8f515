import datetime as dt

import factory
from django.utils import timezone

from incidents.models import HeartbeatMonitor, Severity
from incidents.services.heartbeats import heartbeat_create
from tests.factories.incidents import ServiceFactory


class HeartbeatMonitorFactory(factory.Factory):
    """Monitors are made through the create service, as managers make them; `.key` holds the ping key (shown once
    in real life)."""

    class Meta:
        model = HeartbeatMonitor

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"cron job {n}")
    interval = dt.timedelta(minutes=5)
    grace = dt.timedelta(minutes=1)
    severity = Severity.P3
    now = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, **kwargs):
        monitor, key = heartbeat_create(user=None, **kwargs)
        monitor.key = key
        return monitor
