"""Noise review: responders judge an incident, or an integration's alert stream, as actionable, noisy or a false
alarm, with a short reason. The weekly alert hygiene review (incidents.metrics.hygiene) counts these verdicts.

An incident's verdict is kept on the incident and written to its timeline; "false alarm" sets false_alarm (and
any other verdict clears it), the flag the metrics' false-positive rate counts, so both always agree
(Incident.save keeps the invariant when false_alarm is changed another way, e.g. resolving as a false alarm).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from incidents.models import Incident, Integration, IntegrationVerdict, NoiseVerdict, TimelineEntry, TimelineKind
from incidents.models.noise import REASON_MAX_LENGTH
from incidents.selectors import can_act_on_incident, can_view_incident


def _clean(verdict: str, reason: str | None) -> str:
    if verdict not in NoiseVerdict.values:
        raise ApplicationError(
            f"The verdict must be one of {', '.join(NoiseVerdict.values)}.", field="verdict"
        )
    reason = " ".join((reason or "").split())
    if "\x00" in reason:  # PostgreSQL refuses NUL in text; the pages pass the form field as it came
        raise ApplicationError("The reason cannot contain NUL characters.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(f"Keep the reason under {REASON_MAX_LENGTH} characters.", field="reason")
    return reason


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def incident_set_verdict(
    *, incident: Incident | int, user, verdict: str, reason: str = "", now: dt.datetime | None = None
) -> Incident:
    """Record the responders' verdict on an incident (replacing an earlier one) and write it to the timeline.
    Guarantees: false_alarm is true exactly when the verdict is "false alarm". Giving the same verdict with the
    same reason again changes nothing. Raises PermissionDenied (not the user's incident, or look-only),
    ApplicationError (unknown verdict, reason too long)."""
    reason = _clean(verdict, reason)
    now = now or timezone.now()
    pk = incident.pk if isinstance(incident, Incident) else incident
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)
        if not can_view_incident(user, locked) or not can_act_on_incident(user, locked):
            raise PermissionDenied("You may not review this incident.")
        if locked.noise_verdict == verdict and locked.noise_reason == reason:
            return locked
        previous = locked.noise_verdict
        locked.noise_verdict, locked.noise_reason, locked.noise_verdict_at = verdict, reason, now
        locked.false_alarm = verdict == NoiseVerdict.FALSE_ALARM
        locked.save(update_fields=["noise_verdict", "noise_reason", "noise_verdict_at", "false_alarm", "updated_at"])
        label = NoiseVerdict(verdict).label.lower()
        TimelineEntry.objects.create(
            incident=locked, kind=TimelineKind.NOISE_VERDICT, actor=user, at=now,
            note=f"{_name(user)} marked this incident {label}" + (f": {reason}" if reason else "."),
            data={"verdict": verdict, "reason": reason, "previous": previous},
        )
    return locked


def can_review_integration(user, integration: Integration) -> bool:
    """The responders of the integration's service (those who may declare incidents on it)."""
    return user.is_authenticated and user.has_perm("incidents.declare_incident", integration.service)


def integration_set_verdict(
    *, integration: Integration | int, user, verdict: str, reason: str = "", now: dt.datetime | None = None
) -> IntegrationVerdict:
    """Record a verdict on an integration's alert stream (a new row each time: the latest counts, the rest is its
    history). Raises PermissionDenied (not a responder of its service's team), ApplicationError."""
    reason = _clean(verdict, reason)
    pk = integration.pk if isinstance(integration, Integration) else integration
    with transaction.atomic():
        locked = Integration.objects.select_for_update(of=("self",)).select_related("service__team").get(pk=pk)
        if not user.has_perm("incidents.view_service", locked.service) or not can_review_integration(user, locked):
            raise PermissionDenied("You may not review this integration.")
        return IntegrationVerdict.objects.create(
            integration=locked, verdict=verdict, reason=reason, actor=user, at=now or timezone.now()
        )
