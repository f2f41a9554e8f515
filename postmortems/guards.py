"""The rules that hold a post-mortem (and its incident) back: what publishing needs, and the close guard
incidents.close_checks runs before a P1/P2 incident may close."""

from incidents.models import Severity
from postmortems.models import ActionItem, ContributingFactor, PostMortem, PostMortemState, Why

SEVERITIES_NEEDING_POSTMORTEM = (Severity.P1, Severity.P2)


def publish_problems(postmortem: PostMortem) -> list[str]:
    """What is missing before `postmortem` may be published, one sentence each, in the order the form
    shows the sections. Empty when it is ready."""
    problems = []
    if not postmortem.executive_summary.strip():
        problems.append("Write the executive summary.")
    if not postmortem.root_cause.strip():
        problems.append("Write the root cause.")
    has_analysis = (
        Why.objects.filter(postmortem=postmortem).exists()
        or ContributingFactor.objects.filter(postmortem=postmortem).exists()
    )
    if not has_analysis:
        problems.append("Add at least one 5-whys step or contributing factor.")
    items = ActionItem.objects.filter(postmortem=postmortem).order_by("id").values("title", "owner_id", "due_date")
    if not items:
        problems.append("Add at least one action item, with an owner and a due date.")
    for item in items:
        missing = [what for what, absent in (("an owner", item["owner_id"] is None),
                                             ("a due date", item["due_date"] is None)) if absent]
        if missing:
            problems.append(f"Action item “{item['title']}” needs {' and '.join(missing)}.")
    return problems


def postmortem_published_before_close(incident) -> str | None:
    """Registered in incidents.close_checks: a P1/P2 incident closes only once its post-mortem is published.

    Runs inside the close transaction; locking the post-mortem row means a reopen racing the close is
    ordered before or after it, never in between.
    """
    if incident.severity not in SEVERITIES_NEEDING_POSTMORTEM:
        return None
    postmortem = PostMortem.objects.select_for_update().filter(incident_id=incident.pk).first()
    if postmortem is None:
        return (f"A {incident.severity} incident closes only once its post-mortem is published, "
                f"and {incident.reference} has none yet.")
    if postmortem.state != PostMortemState.PUBLISHED:
        return (f"A {incident.severity} incident closes only once its post-mortem is published; "
                f"the post-mortem of {incident.reference} is {postmortem.get_state_display().lower()}.")
    return None
