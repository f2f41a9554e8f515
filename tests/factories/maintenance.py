import datetime as dt

import factory
from django.utils import timezone

from incidents.models import MaintenanceWindow, Recurrence
from incidents.services.maintenance import maintenance_window_create
from tests.factories.oncall import TeamFactory


class MaintenanceWindowFactory(factory.Factory):
    """Windows are planned through the service, exactly as users plan them (so one in progress holds paging)."""

    class Meta:
        model = MaintenanceWindow

    team = factory.SubFactory(TeamFactory)
    service = None
    reason = "Database upgrade"
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    recurrence = Recurrence.ONCE
    time_zone = ""
    repeat_until = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        kwargs.setdefault("user", None)
        return maintenance_window_create(**kwargs)
