"""The incident page's link to its post-mortem (registered with incidents.page_links in apps.ready)."""

from django.urls import reverse

from postmortems import selectors
from postmortems.models import PostMortem


def incident_postmortem_link(incident, user) -> list[tuple[str, str]]:
    postmortem = PostMortem.objects.filter(incident=incident).first()
    if postmortem is not None and selectors.can_view_postmortem(user, postmortem):
        return [(f"Post-mortem ({postmortem.get_state_display().lower()})",
                 reverse("postmortems:detail", kwargs={"pk": postmortem.pk}))]
    if postmortem is None and selectors.can_start_postmortem(user, incident):
        return [("Start a post-mortem", reverse("postmortems:for_incident", kwargs={"incident_pk": incident.pk}))]
    return []
