"""What other apps may react to. Sent after the transaction commits, with the incident's id."""

from django.dispatch import Signal

# kwargs: incident_id, actor_id
incident_declared = Signal()
# kwargs: incident_id, actor_id, transition, from_state, to_state
incident_transitioned = Signal()
# kwargs: incident_id, actor_id, from_severity, to_severity
incident_severity_changed = Signal()
