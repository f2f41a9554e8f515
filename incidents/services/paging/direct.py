"""Direct paging: a responder pages an extra person, or whoever is on call now in any team's rotation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from config.errors import ApplicationError
from incidents.models import Incident, Page, PageKind, TimelineEntry, TimelineKind
from incidents.selectors import can_act_on_incident
from incidents.services.paging import messages
from oncall.models import NotificationKind, Rotation, RotationKind
from oncall.schedule import on_call
from oncall.services import notification_enqueue


def incident_page_responder(
    *, incident: Incident | int, user, target_user=None, target_rotation: Rotation | None = None, note: str = ""
) -> Page:
    """Page `target_user`, or whoever is on call in `target_rotation` right now (overrides and approved swaps
    included), about an open incident: a Page record, outbox notifications and a timeline entry in one
    transaction; delivery after commit. Someone paged from another team gets access to this incident only,
    as an SME would. Raises PermissionDenied (the user may not act on the incident), ApplicationError
    (neither or both targets, nobody on call there now, an inactive user, the incident not open)."""
    if (target_user is None) == (target_rotation is None):
        raise ApplicationError("Choose either a person or a rotation to page.", field="target")
    note = (note or "").strip()
    pk = incident.pk if isinstance(incident, Incident) else incident
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)
        if not can_act_on_incident(user, locked):
            raise PermissionDenied("You may not act on this incident.")
        if not locked.is_open:
            raise ApplicationError(f"{locked.reference} is {locked.get_state_display().lower()}; nobody is paged.")
        now = timezone.now()
        if target_rotation is not None:
            current = on_call(target_rotation, now)
            person = current.primary if target_rotation.kind == RotationKind.PRIMARY else current.secondary
            if person is None:
                raise ApplicationError(f"Nobody is on call in {target_rotation} now.", field="rotation")
            label = f"on call in {target_rotation.team.name} {target_rotation.name}"
        else:
            person = target_user
            label = messages.name(person)
        if not person.is_active:
            raise ApplicationError(f"{messages.name(person)} is not an active user.", field="user")
        page = Page.objects.create(
            incident=locked, kind=PageKind.DIRECT, target_label=label[:200], due_at=now, paged_at=now, paged_by=user,
            note=note, recipients=[{"id": person.pk, "name": messages.name(person)}],
        )
        if not person.has_perm("incidents.change_incident", locked):
            assign_perm("incidents.view_incident", person, locked)
            assign_perm("incidents.change_incident", person, locked)
        subject, body = messages.direct_page(locked, by=user, target_label=label, note=note)
        notification_enqueue(
            recipient=person, subject=subject, body=body, link=messages.incident_link(locked),
            kind=NotificationKind.PAGE, topic=messages.topic(locked),
            data={**messages.incident_data(locked), "page_id": page.pk, "page_kind": PageKind.DIRECT,
                  "paged_by": user.get_username(), "note": note},
            idempotency_key=f"incident:{locked.pk}:direct:{page.pk}:{person.pk}",
        )
        who = messages.name(person) if target_rotation is None else f"{messages.name(person)} ({label})"
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.PAGE, actor=user, at=now,
            note=f"{messages.name(user)} paged {who}." + (f" {note}" if note else ""),
            data={"page": page.pk, "recipients": [person.pk], "rotation": getattr(target_rotation, "pk", None)},
        )
    return page
