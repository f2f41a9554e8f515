"""Schemathesis drives every post-mortem and action-item operation with generated input (valid and invalid)
against real objects: the `{id}` of each generated request is swapped for one that exists (a draft, one in
review, a published one; their action items), since the run over the whole schema in test_schemathesis.py
almost never hits an existing id and so never gets past the 404 to the body. Nothing may answer 500, every
status answered must be documented, and responses must match their documented schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.wsgi import application
from postmortems.models import ActionItem
from postmortems.services import postmortem_submit
from tests.factories.api import api_token
from tests.factories.postmortems import FactorFactory, complete, draft_for, published, resolved_incident


@pytest.fixture
def wsgi_in_test_transaction():
    """As in test_schemathesis.py: keep Django's WSGI handler from closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def postmortem_world(service, manager, engineer, other_service, outsider):
    def draft(title, *, on=service, by=manager):
        return draft_for(resolved_incident(service=on, user=by, title=title), resolver=by)

    empty = draft("Nothing written yet")
    ready = complete(draft("Ready for review"), owner=engineer)
    FactorFactory(postmortem=ready)
    in_review = complete(draft("In review"), owner=engineer)
    postmortem_submit(postmortem=in_review, user=manager)
    done = published(draft("Published"), user=manager)
    theirs = published(draft("Another team's", on=other_service, by=outsider), user=outsider)
    postmortems = [empty.pk, ready.pk, in_review.pk, done.pk, theirs.pk]
    return {
        "manager": manager,
        "postmortems": postmortems,
        "action_items": list(ActionItem.objects.filter(postmortem_id__in=postmortems).values_list("pk", flat=True)),
    }


@pytest.fixture
def auth_header(db, wsgi_in_test_transaction, postmortem_world):
    return {"Authorization": f"Bearer {api_token(postmortem_world['manager'])}"}


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application).include(
    path_regex=r"^/api/v1/(postmortems|action-items)/"
)
schema.config.generation.update(with_security_parameters=False)


def _existing(generated, ids: list[int]) -> int:
    """One of `ids`, chosen by the generated value, so every example still varies which object it hits."""
    return ids[sum(map(ord, str(generated))) % len(ids)]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_postmortem_operations_on_real_objects_never_fail(case, auth_header, postmortem_world):
    if "id" in case.path_parameters:
        kind = "action_items" if case.path.startswith("/api/v1/action-items/") else "postmortems"
        case.path_parameters["id"] = _existing(case.path_parameters["id"], postmortem_world[kind])
    case.call_and_validate(
        headers=auth_header, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
    )
