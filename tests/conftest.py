import os

import pytest
from django.db import connection

from oncall.models import TeamRole
from tests.factories import IncidentFactory, ServiceFactory, TeamFactory, member


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite during local runs, but never in CI: there they fail."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI must run against PostgreSQL: set DATABASE_URL (see .ci/run).")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def team(db):
    return TeamFactory(name="Payments", slug="payments", time_zone="Europe/Berlin")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Search", slug="search", time_zone="America/New_York")


@pytest.fixture
def service(team):
    return ServiceFactory(team=team, name="Checkout API", slug="checkout-api")


@pytest.fixture
def other_service(other_team):
    return ServiceFactory(team=other_team, name="Search API", slug="search-api")


@pytest.fixture
def engineer(team):
    return member(team, TeamRole.ENGINEER, username="erin", first_name="Erin", last_name="Engineer")


@pytest.fixture
def engineer2(team):
    return member(team, TeamRole.ENGINEER, username="eli", first_name="Eli", last_name="Engineer")


@pytest.fixture
def manager(team):
    return member(team, TeamRole.MANAGER, username="mona", first_name="Mona", last_name="Manager")


@pytest.fixture
def stakeholder(team):
    return member(team, TeamRole.STAKEHOLDER, username="sam", first_name="Sam", last_name="Stakeholder")


@pytest.fixture
def outsider(other_team):
    return member(other_team, TeamRole.ENGINEER, username="otto", first_name="Otto", last_name="Outsider")


@pytest.fixture
def incident(service):
    return IncidentFactory(service=service, severity="P2", title="Checkout returns 503")


def pytest_configure(config):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
