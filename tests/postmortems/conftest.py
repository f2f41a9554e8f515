import pytest

from tests.factories.postmortems import draft_for, resolved_incident


@pytest.fixture
def resolved(service, engineer):
    """A P2 on Checkout API, resolved by Erin."""
    return resolved_incident(service=service, user=engineer, title="Checkout returns 503")


@pytest.fixture
def draft(resolved, engineer):
    """Its automatic draft, owned by Erin (the resolver: no Incident Commander was assigned)."""
    return draft_for(resolved, resolver=engineer)
