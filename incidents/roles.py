from oncall.roles import ENGINEER, MANAGER, VIEWER, grant_role_permissions

INCIDENT_PERMISSIONS = {
    MANAGER: [
        "view_service", "add_service", "change_service", "declare_incident",
        "view_severitypolicy", "change_severitypolicy",
        "view_incident", "change_incident", "add_incident",
        "view_timelineentry", "view_statusupdate", "add_statusupdate", "view_roleassignment",
    ],
    ENGINEER: ["view_service", "declare_incident", "view_incident", "change_incident", "add_incident",
               "view_timelineentry", "view_statusupdate", "add_statusupdate", "view_roleassignment"],
    VIEWER: ["view_service", "view_incident", "view_timelineentry", "view_statusupdate"],
}

# Object permissions the team groups get on each of the team's objects.
RESPONDER_OBJECT_PERMS = {
    "service": ("view_service", "declare_incident"),
    "incident": ("view_incident", "change_incident"),
}
VIEWER_OBJECT_PERMS = {"service": ("view_service",), "incident": ("view_incident",)}


def on_post_migrate(sender, **kwargs) -> None:
    grant_role_permissions("incidents", INCIDENT_PERMISSIONS)
