from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Post-mortems"

    def ready(self) -> None:
        from incidents import close_checks, signals
        from postmortems import beat, guards, receivers, roles

        signals.incident_transitioned.connect(receivers.draft_on_resolve, dispatch_uid="postmortems.draft_on_resolve")
        close_checks.register(guards.postmortem_published_before_close)
        post_migrate.connect(roles.on_post_migrate, sender=self)
        post_migrate.connect(beat.register_periodic_tasks, sender=self)
