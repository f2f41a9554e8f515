from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from incidents import selectors
from incidents.forms import SCOPES, IncidentFilterForm

PAGE_SIZE = 50


@login_required
def incident_list(request):
    form = IncidentFilterForm(request.GET, user=request.user)
    filters = form.filters()
    incidents = selectors.incident_list(request.user, **filters)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "filters": filters,
            "scopes": SCOPES,
            "page": page,
            "now": timezone.now(),
            "filtered": any(filters[name] for name in ("state", "severity", "service", "team")),
        },
    )
