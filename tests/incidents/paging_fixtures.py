"""Shared by the paging tests: the on-call fixtures of tests/oncall (the Payments team in Europe/Berlin, its
weekly primary and secondary rotations, "now" frozen at Wednesday 2026-03-04 12:00 UTC while Pia is primary and
Sara secondary), the guide's default escalation policy, and a VP flagged as leadership.

Import the fixtures you use into the test module: `from tests.incidents.paging_fixtures import *`.
"""

import datetime as dt

import pytest

from incidents.models import Page, PageKind, TimelineEntry, TimelineKind
from incidents.services.paging import paging_sweep
from oncall.models import Notification, NotificationChannel, NotificationKind, OnCallProfile, TeamRole
from oncall.services import escalation_policy_seed_default
from tests.factories import IncidentFactory, TeamFactory
from tests.factories.oncall import responder
from tests.oncall.conftest import NOW, mona, now, people, primary, secondary, utc

__all__ = [
    "NOW", "escalation_policy", "ladder", "mona", "now", "page_log", "paged", "people", "primary", "secondary",
    "sweep", "timeline", "utc", "vp", "declare",
]


@pytest.fixture
def escalation_policy(team):
    return escalation_policy_seed_default(team=team)


@pytest.fixture
def vp(now):
    user = responder(TeamFactory(name="Leadership", slug="leadership"), TeamRole.MANAGER, username="vera",
                     first_name="Vera", last_name="President")
    OnCallProfile.objects.filter(user=user).update(is_leadership=True)
    return user


@pytest.fixture
def ladder(escalation_policy, primary, secondary, people, vp):
    """Everything a full ladder needs: policy, both rotations, lead, manager and leadership."""
    return people


def declare(service, severity="P1", **fields):
    fields.setdefault("title", "Checkout returns 503")
    return IncidentFactory(service=service, severity=severity, **fields)


def sweep() -> dict:
    return paging_sweep()


def paged(incident) -> list[tuple[int | None, str]]:
    """(level, username) for every page recipient, in paging order."""
    return [
        (page.level, recipient["name"].split()[0].lower())
        for page in Page.objects.filter(incident=incident).order_by("paged_at", "id")
        for recipient in page.recipients
    ]


def page_log(incident) -> list[tuple[int, dt.timedelta, str]]:
    """(level, minutes after detection, first name) of each escalation page."""
    return [
        (page.level, page.paged_at - incident.detected_at, recipient["name"].split()[0].lower())
        for page in Page.objects.filter(incident=incident, kind=PageKind.ESCALATION).order_by("paged_at", "level")
        for recipient in page.recipients
    ]


def timeline(incident, *kinds) -> list[str]:
    entries = TimelineEntry.objects.filter(incident=incident).order_by("at", "id")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    return [entry.note for entry in entries]


def page_notifications(incident):
    return Notification.objects.filter(topic=f"incident:{incident.pk}", kind=NotificationKind.PAGE)


__all__ += ["NotificationChannel", "TimelineKind", "page_notifications"]
