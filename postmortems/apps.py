from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Post-mortems"

    def ready(self) -> None:
        from incidents import close_checks, page_links, signals
        from postmortems import guards, links, receivers, roles

        signals.incident_transitioned.connect(receivers.draft_on_resolve, dispatch_uid="postmortems.draft_on_resolve")
        close_checks.register(guards.postmortem_published_before_close)
        page_links.register(links.incident_postmortem_link)
        post_migrate.connect(roles.on_post_migrate, sender=self)
