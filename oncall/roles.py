"""Role groups. Each app names the model permissions its roles get; the groups are shared.

Model permissions only open the admin and the pages' forms. Which objects a user may see or change is
decided per team: the admin filters everything to the teams a manager manages (oncall.selectors), the pages
to the user's teams, and the services check who may act on what.
"""

from django.contrib.auth.models import Group, Permission

MANAGER = "Manager"
ENGINEER = "Engineer"
VIEWER = "Viewer"
ROLE_GROUPS = (MANAGER, ENGINEER, VIEWER)


def _crud(*models: str) -> list[str]:
    return [f"{action}_{model}" for model in models for action in ("view", "add", "change", "delete")]


ONCALL_PERMISSIONS = {
    MANAGER: [
        "view_team", "change_team", "add_teammembership", "change_teammembership",
        "delete_teammembership", "view_teammembership",
        *_crud("rotation", "rotationmember", "override", "blackout", "escalationpolicy", "escalationlevel",
               "oncallprofile"),
        "view_swaprequest", "change_swaprequest", "view_swaprequestevent",
        "view_notification", "view_handoffnote",
    ],
    ENGINEER: [
        "view_team", "view_teammembership",
        "view_rotation",
        "add_blackout", "view_blackout",
        "add_swaprequest", "view_swaprequest",
        "view_escalationpolicy", "view_escalationlevel",
    ],
    VIEWER: ["view_team", "view_rotation"],
}


def grant_role_permissions(app_label: str, permissions: dict[str, list[str]]) -> None:
    for group_name in ROLE_GROUPS:
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = permissions.get(group_name, [])
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*perms)


def on_post_migrate(sender, **kwargs) -> None:
    grant_role_permissions("oncall", ONCALL_PERMISSIONS)
