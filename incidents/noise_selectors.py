"""Reads for the noise review on the incident page: the alert streams (integrations) that sent the incident's
alerts, each with its latest verdict, in one query."""

from django.db.models import OuterRef, Subquery

from incidents.models import Alert, Incident, Integration, IntegrationVerdict, NoiseVerdict


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
