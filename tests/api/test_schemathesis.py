"""Schemathesis drives every operation of the published schema with generated input (valid and invalid) as a
manager of Payments, and checks that nothing answers 500, that every status answered is documented, and that
responses match their documented schema."""

import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.wsgi import application
from incidents.services import incident_acknowledge, incident_resolve
from oncall.models import RotationKind, TeamRole
from oncall.services import override_create
from tests.factories import IncidentFactory, ServiceFactory
from tests.factories.api import api_token
from tests.factories.oncall import responder, rotation_with


@pytest.fixture
def wsgi_in_test_transaction():
    """Schemathesis calls Django's WSGI handler directly; like Django's test client, keep it from closing the
    connection between requests, which would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(team, service, manager, engineer, stakeholder, other_service, outsider):
    """Something behind most ids: incidents in several states, a second service, rotations, an override."""
    IncidentFactory(service=service, severity="P1", title="Everything is down")
    acknowledged = IncidentFactory(service=service, severity="P3")
    incident_acknowledge(incident=acknowledged, user=engineer)
    incident_resolve(incident=IncidentFactory(service=service, severity="P4"), user=engineer)
    IncidentFactory(service=other_service)
    ServiceFactory(team=team, name="Payouts", slug="payouts")
    people = [responder(team, TeamRole.ENGINEER, username=f"r{i}") for i in range(4)]
    primary = rotation_with(team, people, kind=RotationKind.PRIMARY, name="Primary", start_date=dt.date(2026, 1, 5))
    rotation_with(team, people[:2], kind=RotationKind.SECONDARY, name="Secondary", start_date=dt.date(2026, 1, 5))
    override_create(
        rotation=primary, user=people[1], start=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime(2030, 1, 2, tzinfo=dt.UTC), created_by=manager, reason="cover",
    )
    return {"manager": manager}


@pytest.fixture
def auth_header(db, wsgi_in_test_transaction, api_world):
    return {"Authorization": f"Bearer {api_token(api_world['manager'])}"}


# Loaded at collection (the schema view needs no database); schemathesis' lazy fixture loader does not
# support pytest 9 yet.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_fails_and_answers_as_documented(case, auth_header):
    case.call_and_validate(
        headers=auth_header, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
    )
