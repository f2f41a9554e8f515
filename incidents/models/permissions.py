"""Direct foreign-key object-permission tables (django-guardian), so permission filtering is a join
on an indexed integer instead of a cast of a text object id."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class IncidentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE)


class ServiceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("incidents.Service", on_delete=models.CASCADE)


class ServiceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("incidents.Service", on_delete=models.CASCADE)
