"""Engineer-facing pages. Reads go through incidents.selectors, writes through incidents.services."""

from incidents.views.actions import (
    incident_assign_role,
    incident_change_severity,
    incident_edit,
    incident_post_update,
    incident_relieve_role,
    incident_transition,
)
from incidents.views.declare import incident_declare
from incidents.views.detail import incident_detail
from incidents.views.lists import incident_list
from incidents.views.status_page import status_index

__all__ = [
    "incident_assign_role",
    "incident_change_severity",
    "incident_declare",
    "incident_detail",
    "incident_edit",
    "incident_list",
    "incident_post_update",
    "incident_relieve_role",
    "incident_transition",
    "status_index",
]
