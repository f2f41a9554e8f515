import pytest

from tests.factories.api import api_client


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated as `user` with a personal token."""
    return api_client


# The on-call world of tests/oncall (Payments in Berlin, weekly primary and secondary, "now" frozen at
# Wednesday 2026-03-04 12:00 UTC in Pia's primary week).
from tests.oncall.conftest import mona, now, people, primary, secondary  # noqa: E402, F401
