"""Reads for the noise review: the integrations a user may judge, and on the incident page the alert streams
(integrations) that sent the incident's alerts, each with its latest verdict, in one query."""

from django.db.models import OuterRef, QuerySet, Subquery

from incidents.models import Alert, Incident, Integration, IntegrationVerdict, NoiseVerdict
from incidents.selectors import services_visible_to


def integrations_visible_to(user) -> QuerySet[Integration]:
    """The integrations of the services the user can see; the others do not exist for them (404)."""
    return Integration.objects.filter(service__in=services_visible_to(user).values("pk"))


def integration_verdicts_visible_to(user) -> QuerySet[IntegrationVerdict]:
    return IntegrationVerdict.objects.filter(integration__in=integrations_visible_to(user).values("pk"))


def incident_alert_streams(incident: Incident) -> list[Integration]:
    """Each with `verdict`, `verdict_label` and `verdict_reason` (empty without a verdict)."""
    latest = IntegrationVerdict.objects.filter(integration=OuterRef("pk")).order_by("-at", "-id")
    streams = list(
        Integration.objects.filter(pk__in=Alert.objects.filter(incident=incident).values("integration_id"))
        .annotate(verdict=Subquery(latest.values("verdict")[:1]), verdict_reason=Subquery(latest.values("reason")[:1]))
        .order_by("name", "id")
    )
    for stream in streams:
        stream.verdict_label = NoiseVerdict(stream.verdict).label.lower() if stream.verdict else ""
    return streams
