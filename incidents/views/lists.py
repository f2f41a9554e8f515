from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from config.keyset import keyset_page
from incidents import selectors
from incidents.forms import SCOPES, IncidentFilterForm

PAGE_SIZE = 50
ORDERING = ("-detected_at", "-id")  # the list's order; the index incident_detected_order serves it
COUNT_LIMIT = 1000  # above this the list says "more than 1,000" instead of counting every row


@login_required
def incident_list(request):
    form = IncidentFilterForm(request.GET, user=request.user)
    filters = form.filters()
    incidents = selectors.incident_list(request.user, **filters)
    # Keyset pages: "Older →" carries the last row's key, so page 200 reads 51 rows like page 1 does (an
    # offset would read and discard the 9,950 before it). The page number only labels the page.
    page = keyset_page(
        incidents, ordering=ORDERING, per_page=PAGE_SIZE, cursor=request.GET.get("cursor"),
        number=request.GET.get("page"), count_limit=COUNT_LIMIT,
    )
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
