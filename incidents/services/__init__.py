from incidents.services.declare import incident_declare, incident_update, severity_policy_for
from incidents.services.paging import incident_page_acknowledge, incident_page_responder
from incidents.services.permissions import incident_grant_team_access, service_grant_team_access
from incidents.services.roles import incident_assign_role, incident_relieve_role
from incidents.services.services import service_create, service_update
from incidents.services.status import status_update_post
from incidents.services.transitions import (
    incident_acknowledge,
    incident_change_severity,
    incident_close,
    incident_identify,
    incident_investigate,
    incident_mitigate,
    incident_reopen,
    incident_resolve,
    incident_transition,
)

__all__ = [
    "incident_acknowledge",
    "incident_assign_role",
    "incident_change_severity",
    "incident_close",
    "incident_declare",
    "incident_grant_team_access",
    "incident_identify",
    "incident_investigate",
    "incident_mitigate",
    "incident_page_acknowledge",
    "incident_page_responder",
    "incident_relieve_role",
    "incident_reopen",
    "incident_resolve",
    "incident_transition",
    "incident_update",
    "service_create",
    "service_grant_team_access",
    "service_update",
    "severity_policy_for",
    "status_update_post",
]
