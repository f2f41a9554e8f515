"""Model permissions of the shared role groups for post-mortems: they open the admin to managers. Which
post-mortems anyone sees is decided by the incident's object permissions (see postmortems.selectors)."""

from oncall.roles import MANAGER, grant_role_permissions

POSTMORTEM_PERMISSIONS = {
    MANAGER: ["view_postmortem", "view_actionitem", "change_actionitem", "view_postmortemevent"],
}


def on_post_migrate(sender, **kwargs) -> None:
    grant_role_permissions("postmortems", POSTMORTEM_PERMISSIONS)
