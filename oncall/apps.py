from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        from oncall import roles, signals  # noqa: F401

        post_migrate.connect(roles.on_post_migrate, sender=self)
