from incidents.models.heartbeat import HeartbeatMonitor
from incidents.models.incident import OPEN_STATES, Incident, IncidentSource, IncidentState
from incidents.models.integration import Alert, AlertAction, Integration, IntegrationKind
from incidents.models.maintenance import MaintenanceWindow, Occurrence, Recurrence
from incidents.models.noise import IntegrationVerdict, NoiseVerdict
from incidents.models.paging import Page, PageKind, SweepMark, UpdateReminder
from incidents.models.permissions import (
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
    ServiceGroupObjectPermission,
    ServiceUserObjectPermission,
)
from incidents.models.roles import IncidentRole, RoleAssignment
from incidents.models.service import PagingHours, Service
from incidents.models.severity import Severity, SeverityPolicy
from incidents.models.status import StatusUpdate, UpdateAudience
from incidents.models.timeline import TimelineEntry, TimelineKind

__all__ = [
    "Alert",
    "AlertAction",
    "Integration",
    "IntegrationKind",
    "MaintenanceWindow",
    "Occurrence",
    "IntegrationVerdict",
    "NoiseVerdict",
    "OPEN_STATES",
    "HeartbeatMonitor",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentRole",
    "IncidentSource",
    "IncidentState",
    "IncidentUserObjectPermission",
    "Page",
    "PageKind",
    "PagingHours",
    "Recurrence",
    "RoleAssignment",
    "Service",
    "ServiceGroupObjectPermission",
    "ServiceUserObjectPermission",
    "Severity",
    "SeverityPolicy",
    "StatusUpdate",
    "SweepMark",
    "TimelineEntry",
    "TimelineKind",
    "UpdateAudience",
    "UpdateReminder",
]
