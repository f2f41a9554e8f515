import factory
from django.utils import timezone

from incidents.models import Incident, Service, Severity
from incidents.services import incident_declare, service_grant_team_access
from tests.factories.oncall import TeamFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    team = factory.SubFactory(TeamFactory)
    runbook = "1. Check the dashboard.\n2. Roll back the last deploy."

    @factory.post_generation
    def grant_access(obj, create, extracted, **kwargs):
        if create:
            service_grant_team_access(service=obj)


class IncidentFactory(factory.Factory):
    """Incidents are made through the declare service, exactly as users make them."""

    class Meta:
        model = Incident

    service = factory.SubFactory(ServiceFactory)
    title = factory.Sequence(lambda n: f"Checkout errors {n}")
    severity = Severity.P2
    description = ""
    dedup_key = None
    detected_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, **kwargs):
        incident, _ = incident_declare(user=None, **kwargs)
        return incident
