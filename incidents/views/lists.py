from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3

from config.keyset import keyset_page
from incidents import selectors
from incidents.forms import SCOPES, IncidentFilterForm
from incidents.models import OPEN_STATES

PAGE_SIZE = 50
ORDERING = ("-detected_at", "-id")  # the list's order; the index incident_detected_order serves it
COUNT_LIMIT = 1000  # above this the list says "more than 1,000" instead of counting every row


@login_required
def incident_list(request):
    form = IncidentFilterForm(request.GET, user=request.user)
    filters = form.filters()
    incidents = selectors.incident_list(request.user, **filters)
    # "Mine" is counted in another form of the same rows (selectors._incidents_of_counted); no query of its own.
    counted = selectors.incident_list(request.user, counting=True, **filters) if filters["scope"] == "mine" else None
    # Keyset pages: "Older →" carries the last row's key, so page 200 reads 51 rows like page 1 does (an
    # offset would read and discard the 9,950 before it). The page number only labels the page.
    page = keyset_page(
        incidents, ordering=ORDERING, per_page=PAGE_SIZE, cursor=request.GET.get("cursor"),
        number=request.GET.get("page"), count_limit=COUNT_LIMIT, count_queryset=counted,
    )
    now = timezone.now()
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "filters": filters,
            "scopes": SCOPES,
            "page": page,
            "rows": list_rows(page.object_list, now),
            "now": now,
            "filtered": any(filters[name] for name in ("state", "severity", "service", "team")),
        },
    )


def list_rows(incidents, now) -> list[dict]:
    """What each row of the list shows, as plain strings in dicts. A template resolves a dict key at once but
    an attribute of a model only after a failed item lookup, and formats a date through the `date` filter's
    general machinery: 50 rows of that cost more than all the list's queries together. The strings are the ones
    the filters gave (`date:"c"`, `date:"Y-m-d H:i:s"`, `date:"M j, H:i"`, `naturaltime`), in the current time
    zone."""
    months = {number: str(name).title() for number, name in MONTHS_3.items()}  # the `date` filter's "M"

    def short(value) -> str:  # "M j, H:i"
        return f"{months[value.month]} {value.day}, {value:%H:%M}"

    rows = []
    for incident in incidents:
        state = incident.state
        is_open = state in OPEN_STATES
        detected = timezone.localtime(incident.detected_at)
        person = incident.acknowledged_by
        row = {
            "url": reverse("incidents:detail", args=[incident.pk]),
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "severity_class": incident.severity.lower(),
            "severity_label": incident.get_severity_display(),
            "state": state,
            "state_label": incident.get_state_display(),
            "service": incident.service.name,
            "detected_iso": detected.isoformat(),
            "detected_full": f"{detected:%Y-%m-%d %H:%M:%S}",
            "detected": short(detected),
            "acknowledged_by": (person.get_full_name() or person.get_username()) if person else None,
            "ack_breached": bool(incident.ack_breached_at),
            "ack": None,
        }
        deadline = incident.ack_deadline
        if deadline:
            label = short(timezone.localtime(deadline))
            if is_open and not incident.acknowledged_at and deadline < now:
                row["ack"] = {"status": "overdue", "label": label}
            elif incident.acknowledged_at or not is_open:
                row["ack"] = {"status": "done", "label": label}
            else:
                row["ack"] = {"status": "due", "label": label, "natural": naturaltime(deadline)}
        rows.append(row)
    return rows
