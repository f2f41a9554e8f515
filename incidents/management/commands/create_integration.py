from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError
from incidents.ingestion.services import integration_create, integration_url
from incidents.models import IntegrationKind, Service


class Command(BaseCommand):
    help = (
        "Attach a monitoring integration to the service SERVICE_SLUG and print its key (shown only this once) "
        "and the URL to configure in the sender."
    )

    def add_arguments(self, parser):
        parser.add_argument("service_slug")
        parser.add_argument("--kind", required=True, choices=IntegrationKind.values)
        parser.add_argument("--name", default="", help="What sends to it, e.g. “Prometheus (prod)”.")
        parser.add_argument(
            "--rate-limit", type=int, default=None, help="Events accepted per minute (0: no limit)."
        )

    def handle(self, *args, service_slug: str, kind: str, name: str, rate_limit: int | None, **options):
        try:
            service = Service.objects.select_related("team").get(slug=service_slug)
        except Service.DoesNotExist as exc:
            raise CommandError(f"No service with the slug “{service_slug}”.") from exc
        fields = {} if rate_limit is None else {"rate_limit_per_minute": rate_limit}
        try:
            integration, key = integration_create(
                user=None, service=service, name=name or IntegrationKind(kind).label, kind=kind, **fields
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Integration “{integration.name}” on {service.name}. Store the key now: it cannot be shown again."
        )
        self.stdout.write(f"key: {key}")
        if kind == IntegrationKind.EVENTS_V2:
            url = integration_url(kind)
            self.stdout.write(f"url: {url}")
            self.stdout.write(f"     (as a PagerDuty client's base URL: {url.removesuffix('/v2/enqueue')})")
        else:
            self.stdout.write(f"url: {integration_url(kind)}  (with the header Authorization: Bearer <key>)")
            self.stdout.write(f"     or {integration_url(kind, key)}")
