from tests.factories.incidents import IncidentFactory, ServiceFactory
from tests.factories.oncall import TeamFactory, UserFactory, member

__all__ = ["IncidentFactory", "ServiceFactory", "TeamFactory", "UserFactory", "member"]
