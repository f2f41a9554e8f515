"""How post-mortems react to the incidents app (which never imports postmortems)."""

import logging

from incidents.models import IncidentState

logger = logging.getLogger(__name__)


def draft_on_resolve(sender, *, incident_id: int, actor_id: int | None = None, to_state: str = "", **kwargs) -> None:
    """incidents.signals.incident_transitioned, sent after commit: a resolved P1/P2 gets its draft.

    The resolve has already committed, so a failure here must not turn the resolver's page into an error;
    it is logged, and the postmortems_draft_missing sweep drafts it on its next run."""
    if to_state != IncidentState.RESOLVED:
        return
    from postmortems.services import postmortem_create_after_resolve

    try:
        postmortem_create_after_resolve(incident_id=incident_id, actor_id=actor_id)
    except Exception:
        logger.exception("Could not draft the post-mortem of incident %s; the sweep will retry", incident_id)
