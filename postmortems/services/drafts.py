"""Starting a post-mortem: automatically when a P1/P2 incident resolves, by hand for P3/P4."""

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from incidents.models import Incident, IncidentRole, IncidentState, TimelineEntry, TimelineKind, UpdateAudience
from incidents.selectors import can_act_on_incident
from oncall.models import TeamMembership, TeamRole
from postmortems.guards import SEVERITIES_NEEDING_POSTMORTEM
from postmortems.models import PostMortem, PostMortemEvent, PostMortemState, PostMortemTimelineEntry
from postmortems.selectors import STARTABLE_INCIDENT_STATES, can_start_postmortem
from postmortems.services.notifications import notify_owner_of_draft

logger = logging.getLogger(__name__)

REVIEW_WITHIN = dt.timedelta(hours=48)  # the guide: schedule the review within 48 hours
IMPACT_START_KIND = "impact_start"
# Incident timeline entries that the draft flags as key events.
KEY_KINDS = {TimelineKind.DECLARED, TimelineKind.SEVERITY}
KEY_STATES = {IncidentState.ACKNOWLEDGED, IncidentState.IDENTIFIED, IncidentState.RESOLVING, IncidentState.RESOLVED}


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "Watchkeeper"


def _default_owner(incident: Incident, resolver):
    """The active Incident Commander, else whoever resolved it, acknowledged it or declared it, else the
    team's first manager."""
    active = incident.role_assignments.filter(role=IncidentRole.COMMANDER, relieved_at__isnull=True)
    commander = active.select_related("user").first()
    for candidate in (commander.user if commander else None, resolver, incident.acknowledged_by, incident.declared_by):
        if candidate is not None and candidate.is_active:
            return candidate
    manager = (
        TeamMembership.objects.filter(team_id=incident.service.team_id, role=TeamRole.MANAGER, user__is_active=True)
        .select_related("user").order_by("user__username").first()
    )
    return manager.user if manager else None


def _state_label(value: str) -> str:
    try:
        return IncidentState(value).label
    except ValueError:
        return value


def _entry_text(entry: TimelineEntry) -> str:
    note = (entry.note or "").strip()
    if entry.kind == TimelineKind.TRANSITION:
        text = f"{_state_label(entry.to_state)} ({entry.actor_name})"
        return f"{text}: {note}" if note else text
    if entry.kind == TimelineKind.STATUS_UPDATE:
        audience = "Public" if (entry.data or {}).get("audience") == UpdateAudience.EXTERNAL else "Internal"
        first_line = next((line.strip() for line in note.splitlines() if line.strip()), "")
        return f"{audience} status update posted ({entry.actor_name}): {first_line}"
    if entry.kind == TimelineKind.SEVERITY:
        data = entry.data or {}
        text = f"Severity changed from {data.get('from', '?')} to {data.get('to', '?')} ({entry.actor_name})"
        return f"{text}: {note}" if note else text
    if entry.kind in (TimelineKind.DECLARED, TimelineKind.ROLE, TimelineKind.ROLE_RELIEVED) and note:
        return note
    label = entry.get_kind_display()
    return f"{label}: {note}" if note else f"{label} ({entry.actor_name})"


def _is_key(entry: TimelineEntry) -> bool:
    return entry.kind in KEY_KINDS or (entry.kind == TimelineKind.TRANSITION and entry.to_state in KEY_STATES)


def _import_timeline(postmortem: PostMortem) -> int:
    incident = postmortem.incident
    copied = set(
        PostMortemTimelineEntry.objects.filter(postmortem=postmortem, source_entry__isnull=False).values_list(
            "source_entry_id", flat=True
        )
    )
    rows = [
        PostMortemTimelineEntry(
            postmortem=postmortem, at=entry.at, text=_entry_text(entry), is_key_event=_is_key(entry),
            source_entry=entry, source_kind=entry.kind,
        )
        for entry in TimelineEntry.objects.filter(incident=incident).select_related("actor").order_by("at", "id")
        if entry.pk not in copied
    ]
    has_impact_start = PostMortemTimelineEntry.objects.filter(
        postmortem=postmortem, source_kind=IMPACT_START_KIND
    ).exists()
    if incident.impact_started_at and not has_impact_start:
        rows.append(PostMortemTimelineEntry(
            postmortem=postmortem, at=incident.impact_started_at, text="Impact started", is_key_event=True,
            source_kind=IMPACT_START_KIND,
        ))
    PostMortemTimelineEntry.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def postmortem_timeline_import(*, postmortem: PostMortem, user) -> int:
    """Copy incident timeline entries written since the draft (e.g. after a reopen) into the post-mortem's
    timeline; entries already copied are left as the authors reworded them. Returns how many were added.
    Raises PermissionDenied, ApplicationError."""
    locked = PostMortem.objects.select_for_update(of=("self",)).select_related("incident__service__team").get(
        pk=postmortem.pk
    )
    if not can_act_on_incident(user, locked.incident):
        raise PermissionDenied("You may not edit this post-mortem.")
    if not locked.is_editable:
        raise ApplicationError("A published post-mortem is read-only; a manager can reopen it.")
    return _import_timeline(locked)


def postmortem_create(
    *, incident: Incident | int, user=None, automatic: bool = False, resolver=None
) -> tuple[PostMortem, bool]:
    """The incident's post-mortem, created as a prefilled draft if it has none. Returns (post-mortem, created).

    Guarantees: one post-mortem per incident however often or concurrently this runs (a OneToOne and
    get_or_create); a new draft gets its owner (the active Incident Commander, else the resolver), a review
    due date 48 hours after resolution, the incident's timeline copied, a "drafted" event and a notification
    to its owner in the outbox, all in one transaction.
    `automatic` is the P1/P2 auto-draft (no permission check, P1/P2 only, skipped when the incident was
    reopened meanwhile); otherwise `user` starts it by hand and must be a responder of the team.
    Raises PermissionDenied, ApplicationError.
    """
    pk = incident.pk if isinstance(incident, Incident) else incident
    with transaction.atomic():
        incident = Incident.objects.select_related("service__team", "acknowledged_by", "declared_by").get(pk=pk)
        existing = PostMortem.objects.filter(incident=incident).first()
        if existing is not None:
            return existing, False
        if incident.state not in STARTABLE_INCIDENT_STATES:
            if automatic:
                return None, False
            raise ApplicationError("A post-mortem starts once the incident is resolved.")
        if automatic and incident.severity not in SEVERITIES_NEEDING_POSTMORTEM:
            return None, False
        if not automatic and (user is None or not can_start_postmortem(user, incident)):
            raise PermissionDenied("You may not start a post-mortem for this incident.")
        now = timezone.now()
        owner = _default_owner(incident, resolver if automatic else user)
        postmortem, created = PostMortem.objects.get_or_create(
            incident=incident,
            defaults={
                "title": incident.title,
                "owner": owner,
                "review_due_at": (incident.resolved_at or now) + REVIEW_WITHIN,
                "services_affected": incident.service.name,
                "auto_drafted": automatic,
            },
        )
        if not created:
            return postmortem, False
        _import_timeline(postmortem)
        how = f"when {incident.reference} was resolved" if automatic else f"by {_name(user)}"
        PostMortemEvent.objects.create(
            postmortem=postmortem, actor=None if automatic else user, at=now, from_state="",
            to_state=PostMortemState.DRAFT, note=f"Drafted {how}; owner {_name(owner) if owner else 'not set'}.",
        )
        notify_owner_of_draft(postmortem)
    return postmortem, True


def postmortem_create_after_resolve(*, incident_id: int, actor_id: int | None) -> PostMortem | None:
    """The incidents.signals.incident_transitioned reaction: draft a P1/P2's post-mortem once it resolves."""
    resolver = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    postmortem, _ = postmortem_create(incident=incident_id, automatic=True, resolver=resolver)
    return postmortem


def postmortems_draft_missing() -> int:
    """Backstop sweep: draft the post-mortem of every resolved P1/P2 incident that has none (the signal's
    reaction runs after commit in the web process, which can die in between). Returns how many it drafted."""
    missing = Incident.objects.filter(
        severity__in=SEVERITIES_NEEDING_POSTMORTEM, state=IncidentState.RESOLVED, postmortem__isnull=True
    ).values_list("pk", flat=True)
    created = 0
    for pk in list(missing[:500]):
        try:
            _, was_created = postmortem_create(incident=pk, automatic=True)
        except Exception:  # one broken incident must not stop the sweep; logged with its traceback
            logger.exception("Could not draft the post-mortem of incident %s", pk)
            continue
        created += was_created
    return created
