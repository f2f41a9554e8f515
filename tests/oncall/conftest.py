"""On-call fixtures: the Payments team (Europe/Berlin) with a weekly primary and secondary rotation.

Weekly shifts hand off on Mondays at 09:00 Berlin time, starting Monday 2026-01-05. "Now" is frozen at
Wednesday 2026-03-04 12:00 UTC, in the week Pia holds the primary. The coming primary shifts:
2026-03-09 Paul, 03-16 Petra, 03-23 Pete, 03-30 Pia (the first after the switch to summer time) …
"""

import datetime as dt

import pytest
import time_machine

from oncall.models import RotationKind, TeamRole
from tests.factories.oncall import responder, rotation_with

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(team, now):
    """Eligible responders of Payments, by name."""
    return {
        name: responder(team, role, username=name, first_name=name.capitalize(), last_name="Payments")
        for name, role in [
            ("pia", TeamRole.ENGINEER), ("paul", TeamRole.ENGINEER), ("petra", TeamRole.ENGINEER),
            ("pete", TeamRole.ENGINEER), ("sara", TeamRole.ENGINEER), ("sven", TeamRole.ENGINEER),
            ("lena", TeamRole.LEAD), ("mona", TeamRole.MANAGER),
        ]
    }


@pytest.fixture
def primary(team, people):
    return rotation_with(
        team, [people[n] for n in ("pia", "paul", "petra", "pete")], kind=RotationKind.PRIMARY, name="Primary"
    )


@pytest.fixture
def secondary(team, people):
    """Sara and Sven alternate weekly: Sara holds the weeks of 2026-03-02 and 03-16, Sven 03-09 and 03-23."""
    return rotation_with(team, [people["sara"], people["sven"]], kind=RotationKind.SECONDARY, name="Secondary")


@pytest.fixture
def mona(people):
    return people["mona"]
