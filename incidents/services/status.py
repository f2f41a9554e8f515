from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from incidents.models import Incident, StatusUpdate, TimelineEntry, TimelineKind, UpdateAudience
from incidents.selectors import can_act_on_incident
from incidents.sla import next_update_due, policy_for


@transaction.atomic
def status_update_post(*, incident: Incident, user, body: str, audience: str = UpdateAudience.INTERNAL) -> StatusUpdate:
    """Post a status update; the next one falls due one cadence later. External updates appear on
    the public status page. Raises PermissionDenied, ApplicationError."""
    if audience not in UpdateAudience.values:
        raise ApplicationError("Audience must be internal or external.", field="audience")
    if not body or not body.strip():
        raise ApplicationError("The update needs a text.", field="body")
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if not can_act_on_incident(user, locked):
        raise PermissionDenied("You may not post updates on this incident.")
    now = timezone.now()
    update = StatusUpdate.objects.create(
        incident=locked, audience=audience, body=body.strip(), state=locked.state, posted_by=user, posted_at=now
    )
    locked.next_update_due_at = next_update_due(locked, policy_for(locked.severity), last_update_at=now)
    locked.save(update_fields=["next_update_due_at", "updated_at"])
    TimelineEntry.objects.create(
        incident=locked, kind=TimelineKind.STATUS_UPDATE, actor=user, at=now,
        note=body.strip()[:500], data={"audience": audience, "status_update": update.pk},
    )
    return update
