from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from config.errors import ApplicationError
from incidents import selectors, services
from incidents.forms import DeclareForm, add_application_error, tree_outcomes
from incidents.models.severity import GUIDE_DEFAULTS


@login_required
def incident_declare(request):
    form = DeclareForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident, created = services.incident_declare(
                    user=request.user,
                    service=data["service"],
                    title=data["title"],
                    description=data["description"],
                    severity=data["severity"],
                    impact_started_at=data["impact_started_at"],
                    war_room=data["war_room"],
                    dedup_key=data["dedup_key"] or None,
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                if created:
                    messages.success(request, f"Declared {incident.reference} as {incident.severity}.")
                else:
                    messages.warning(
                        request,
                        f"{incident.reference} is already open with that dedup key; "
                        "your report was added to its timeline.",
                    )
                return redirect("incidents:detail", pk=incident.pk)
    return render(
        request,
        "incidents/declare.html",
        {
            "form": form,
            "tree_outcomes": tree_outcomes(),
            "severity_guide": [(sev, GUIDE_DEFAULTS[sev]["description"]) for sev in GUIDE_DEFAULTS],
            "has_services": selectors.services_declarable_by(request.user).exists(),
        },
        status=status,
    )
