from django.core.exceptions import PermissionDenied
from django.db import transaction

from incidents.models import Service
from incidents.services.permissions import service_grant_team_access
from oncall.selectors import is_team_manager


@transaction.atomic
def service_create(*, user, team, name: str, slug: str, **fields) -> Service:
    """Create a service owned by `team`; its groups get access. Only the team's managers may."""
    if user is not None and not is_team_manager(user, team):
        raise PermissionDenied("Only a manager of the team can add services to it.")
    service = Service(team=team, name=name, slug=slug, **fields)
    service.full_clean()
    service.save()
    service_grant_team_access(service=service)
    return service


@transaction.atomic
def service_update(*, user, service: Service, **fields) -> Service:
    """Change a service; moving it to another team moves the access to it and its incidents."""
    locked = Service.objects.select_for_update(of=("self",)).select_related("team").get(pk=service.pk)
    if user is not None and not is_team_manager(user, locked.team):
        raise PermissionDenied("Only a manager of the owning team can change this service.")
    new_team = fields.get("team")
    if user is not None and new_team is not None and not is_team_manager(user, new_team):
        raise PermissionDenied("You can only move services to teams you manage.")
    old_team_id = locked.team_id
    for field, value in fields.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    if locked.team_id != old_team_id:
        service_grant_team_access(service=locked)
    return locked
