from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents import roles
        from incidents.services.paging.guard import paging_guard
        from oncall.delivery import guards

        post_migrate.connect(roles.on_post_migrate, sender=self)
        guards.register(paging_guard)
