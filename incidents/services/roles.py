from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from config.errors import ApplicationError
from incidents.models import Incident, IncidentRole, RoleAssignment, TimelineEntry, TimelineKind
from incidents.models.roles import SINGLE_HOLDER_ROLES
from incidents.selectors import can_act_on_incident


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def incident_assign_role(*, incident: Incident, role: str, assignee, user) -> RoleAssignment:
    """Give `assignee` a role. For single-holder roles the previous holder is relieved in the same
    transaction (a hand-over); SMEs can be several. Assignees from other teams get access to this
    incident. Raises PermissionDenied, ApplicationError."""
    if role not in IncidentRole.values:
        raise ApplicationError(f"Unknown role “{role}”.", field="role")
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if not can_act_on_incident(user, locked):
        raise PermissionDenied("You may not act on this incident.")
    if not locked.is_open and locked.state != "resolved":
        raise ApplicationError("Roles cannot change on a closed incident.")
    if not assignee.is_active:
        raise ApplicationError(f"{_name(assignee)} is not an active user.", field="assignee")
    now = timezone.now()
    active = RoleAssignment.objects.filter(incident=locked, role=role, relieved_at__isnull=True)
    if active.filter(user=assignee).exists():
        raise ApplicationError(f"{_name(assignee)} already holds that role.", field="assignee")
    previous = active.select_related("user").first() if role in SINGLE_HOLDER_ROLES else None
    if previous is not None:
        RoleAssignment.objects.filter(pk=previous.pk).update(relieved_at=now)
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.ROLE_RELIEVED, actor=user, at=now,
            note=f"{IncidentRole(role).label} handed over from {_name(previous.user)} to {_name(assignee)}.",
            data={"role": role, "from_user": previous.user_id, "to_user": assignee.pk},
        )
    assignment = RoleAssignment.objects.create(
        incident=locked, role=role, user=assignee, assigned_by=user, assigned_at=now
    )
    TimelineEntry.objects.create(
        incident=locked, kind=TimelineKind.ROLE, actor=user, at=now,
        note=f"{_name(assignee)} is {IncidentRole(role).label}.",
        data={"role": role, "user": assignee.pk},
    )
    if not assignee.has_perm("incidents.change_incident", locked):
        assign_perm("incidents.view_incident", assignee, locked)
        assign_perm("incidents.change_incident", assignee, locked)
    return assignment


@transaction.atomic
def incident_relieve_role(*, assignment: RoleAssignment, user) -> RoleAssignment:
    """End an assignment without a successor (e.g. an SME who is no longer needed)."""
    locked = Incident.objects.select_for_update().get(pk=assignment.incident_id)
    if not can_act_on_incident(user, locked):
        raise PermissionDenied("You may not act on this incident.")
    assignment = RoleAssignment.objects.select_related("user").get(pk=assignment.pk)
    if assignment.relieved_at is not None:
        raise ApplicationError("That assignment has already ended.")
    assignment.relieved_at = timezone.now()
    assignment.save(update_fields=["relieved_at"])
    TimelineEntry.objects.create(
        incident=locked, kind=TimelineKind.ROLE_RELIEVED, actor=user, at=assignment.relieved_at,
        note=f"{_name(assignment.user)} is no longer {assignment.get_role_display()}.",
        data={"role": assignment.role, "from_user": assignment.user_id},
    )
    return assignment
