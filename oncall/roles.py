"""Role groups. Each app names the model permissions its roles get; the groups are shared.

Model permissions only open the admin and the "declare" forms. Which objects a user may see or
change is decided by django-guardian object permissions granted to the per-team groups.
"""

from django.contrib.auth.models import Group, Permission

MANAGER = "Manager"
ENGINEER = "Engineer"
VIEWER = "Viewer"
ROLE_GROUPS = (MANAGER, ENGINEER, VIEWER)

ONCALL_PERMISSIONS = {
    MANAGER: ["view_team", "change_team", "add_teammembership", "change_teammembership",
              "delete_teammembership", "view_teammembership"],
    ENGINEER: ["view_team", "view_teammembership"],
    VIEWER: ["view_team"],
}


def grant_role_permissions(app_label: str, permissions: dict[str, list[str]]) -> None:
    for group_name in ROLE_GROUPS:
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = permissions.get(group_name, [])
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*perms)


def on_post_migrate(sender, **kwargs) -> None:
    grant_role_permissions("oncall", ONCALL_PERMISSIONS)
