"""Noise review from the pages: one click (actionable, noisy, false alarm) with an optional short reason, on an
incident (its page) or on an integration's alert stream (the alert hygiene page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from incidents.models import NoiseVerdict
from incidents.noise_selectors import integrations_visible_to
from incidents.services.noise import incident_set_verdict, integration_set_verdict
from incidents.views.actions import _back, _incident_to_act_on, _show_again


@login_required
@require_POST
def incident_verdict(request, pk: int):
    incident = _incident_to_act_on(request, pk)  # 404 for other teams' incidents, 403 for look-only people
    try:
        incident = incident_set_verdict(
            incident=incident, user=request.user, verdict=request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
        )
    except PermissionDenied as exc:  # lost access meanwhile
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _show_again(request, pk, status=exc.status_code)
    messages.success(
        request, f"{incident.reference} marked {NoiseVerdict(incident.noise_verdict).label.lower()}."
    )
    return _back(incident, "noise")


@login_required
@require_POST
def integration_verdict(request, pk: int):
    """A verdict on an integration's alert stream (from the alert hygiene page); back to where it was given."""
    integration = integrations_visible_to(request.user).filter(pk=pk).first()
    if integration is None:
        raise Http404("No such integration.")
    try:
        verdict = integration_set_verdict(
            integration=integration, user=request.user, verdict=request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
        )
    # PermissionDenied passes through: the integration is theirs to see (looked up above), so look-only people
    # (stakeholders) get 403 like for every other action they may not take.
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{integration.name}: marked {verdict.get_verdict_display().lower()}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("incidents:list")
    return HttpResponseRedirect(back)
