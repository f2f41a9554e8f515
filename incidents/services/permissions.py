"""Object permissions follow ownership: a team's groups hold them on the team's services and incidents."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from incidents.models import (
    Incident,
    IncidentGroupObjectPermission,
    Service,
    ServiceGroupObjectPermission,
)
from incidents.roles import RESPONDER_OBJECT_PERMS, VIEWER_OBJECT_PERMS


def _permissions(model, codenames: tuple[str, ...]) -> list[Permission]:
    ct = ContentType.objects.get_for_model(model)
    return list(Permission.objects.filter(content_type=ct, codename__in=codenames))


def _grants(team, key: str, model) -> list[tuple]:
    return [
        (team.responders_group_id, perm) for perm in _permissions(model, RESPONDER_OBJECT_PERMS[key])
    ] + [(team.viewers_group_id, perm) for perm in _permissions(model, VIEWER_OBJECT_PERMS[key])]


def service_grant_team_access(*, service: Service) -> None:
    """Replace the service's group permissions with its owning team's, and re-grant its incidents."""
    team = service.team
    ServiceGroupObjectPermission.objects.filter(content_object=service).delete()
    ServiceGroupObjectPermission.objects.bulk_create(
        ServiceGroupObjectPermission(group_id=group_id, permission=perm, content_object=service)
        for group_id, perm in _grants(team, "service", Service)
    )
    incident_ids = list(service.incidents.values_list("pk", flat=True))
    IncidentGroupObjectPermission.objects.filter(content_object_id__in=incident_ids).delete()
    grants = _grants(team, "incident", Incident)
    IncidentGroupObjectPermission.objects.bulk_create(
        [
            IncidentGroupObjectPermission(group_id=group_id, permission=perm, content_object_id=incident_id)
            for incident_id in incident_ids
            for group_id, perm in grants
        ],
        batch_size=5000,
    )


def incident_grant_team_access(*, incident: Incident) -> None:
    """Grant the owning team's groups access to one incident (after declare or a service move)."""
    IncidentGroupObjectPermission.objects.filter(content_object=incident).delete()
    IncidentGroupObjectPermission.objects.bulk_create(
        IncidentGroupObjectPermission(group_id=group_id, permission=perm, content_object=incident)
        for group_id, perm in _grants(incident.service.team, "incident", Incident)
    )
