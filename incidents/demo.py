"""Demo services and incidents for a local installation (`manage.py seed_demo`). Never used in production.

Everything is written through incidents.services with the demo people as actors, so permissions,
SLA clocks and timelines are exactly what real use produces. Incidents are only created while none of
the demo services has any, which makes a second run a no-op.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, IncidentSource, Service, UpdateAudience
from incidents.services import (
    incident_assign_role,
    incident_declare,
    incident_transition,
    incident_update,
    service_create,
    status_update_post,
)
from oncall.demo import DemoPeople

CHECKOUT_RUNBOOK = """\
## Checkout API

1. Open the *Checkout* dashboard: error rate, p95 latency, database connection pool.
2. If errors started with a deploy, roll back: `deployctl rollback checkout-api`.
3. If the connection pool is exhausted, restart one pod at a time: `kubectl rollout restart deploy/checkout-api`.
4. Card failures only? Check the payment gateway's status before touching checkout.
"""

GATEWAY_RUNBOOK = """\
## Payment Gateway

1. Check the acquirer status pages (Adyen, Stripe) linked on the dashboard.
2. Retries above 5 % for ten minutes: switch traffic to the secondary acquirer with `paymentsctl failover`.
3. Never replay captured payments by hand; ask the on-call lead.
"""

INVOICING_RUNBOOK = """\
## Invoicing

1. Failed PDF jobs land in the `invoicing-dead-letter` queue; inspect one before retrying them all.
2. Retry: `invoicectl retry --since 1h`.
"""

SEARCH_API_RUNBOOK = """\
## Search API

1. Compare query latency with the indexer lag panel; stale results usually mean indexer trouble.
2. Scale out: `kubectl scale deploy/search-api --replicas=12`.
3. Clear the query cache only as a last resort; it triples cluster load for ten minutes.
"""

INDEXER_RUNBOOK = """\
## Search Indexer

1. Check the lag panel and the Kafka consumer group `search-indexer`.
2. Restart stuck consumers: `kubectl delete pod -l app=search-indexer --field-selector=status.phase=Running`.
3. If lag keeps growing, pause bulk re-indexing jobs in the scheduler.
"""

IDENTITY_RUNBOOK = """\
## Identity & SSO

1. Test a login yourself with the synthetic account `sso-probe`.
2. Check the SAML certificate expiry and the IdP status page.
3. Roll back a configuration change with `idpctl config rollback`.
"""

EDGE_RUNBOOK = """\
## Edge Proxy

1. Find the affected region on the latency map.
2. Drain an unhealthy point of presence: `edgectl drain <pop>`.
"""

# team slug -> [(slug, name, description, runbook)]
DEMO_SERVICES = {
    "payments": [
        ("checkout-api", "Checkout API", "Cart, checkout and card payments.", CHECKOUT_RUNBOOK),
        ("payment-gateway", "Payment Gateway", "Talks to the acquirers.", GATEWAY_RUNBOOK),
        ("invoicing", "Invoicing", "Invoices and receipts as PDF.", INVOICING_RUNBOOK),
    ],
    "search": [
        ("search-api", "Search API", "Product search for web and apps.", SEARCH_API_RUNBOOK),
        ("search-indexer", "Search Indexer", "Keeps the search index in step with the catalogue.", INDEXER_RUNBOOK),
    ],
    "platform": [
        ("identity", "Identity & SSO", "Logins, sessions and single sign-on.", IDENTITY_RUNBOOK),
        ("edge-proxy", "Edge Proxy", "TLS termination and routing at the edge.", EDGE_RUNBOOK),
    ],
}
DEMO_SERVICE_SLUGS = [slug for services in DEMO_SERVICES.values() for slug, *_ in services]


@transaction.atomic
def demo_services_seed(*, people: DemoPeople) -> tuple[dict[str, Service], int]:
    """The demo services, created through service_create (which grants the team's object permissions)."""
    services, created = {}, 0
    for team_slug, rows in DEMO_SERVICES.items():
        team = people.teams[team_slug]
        manager = people.users[team_slug, "manager"]
        for slug, name, description, runbook in rows:
            service = Service.objects.filter(slug=slug).first()
            if service is None:
                service = service_create(
                    user=manager, team=team, name=name, slug=slug, description=description, runbook=runbook,
                    runbook_reviewed_at=timezone.now(),
                )
                created += 1
            services[slug] = service
    return services, created


def _walk(incident: Incident, user, *actions: str, note: str = "") -> Incident:
    for action in actions:
        incident = incident_transition(incident=incident, user=user, action=action, note=note)
    return incident


@transaction.atomic
def demo_incidents_seed(*, people: DemoPeople, services: dict[str, Service]) -> int:
    """Open and closed incidents with roles, status updates and real timelines. Returns how many were made;
    0 when any demo service already has incidents."""
    if Incident.objects.filter(service__slug__in=DEMO_SERVICE_SLUGS).exists():
        return 0
    u = people.users
    now = timezone.now()

    def ago(minutes: int) -> dt.datetime:
        return now - dt.timedelta(minutes=minutes)

    # Payments, P1, identified: every P1 role filled, an internal and a public update.
    eng1, eng2, lead, manager = (u["payments", k] for k in ("engineer1", "engineer2", "lead", "manager"))
    p1, _ = incident_declare(
        service=services["checkout-api"], user=eng1, severity="P1", title="Checkout returns 503 for card payments",
        description="Card payments fail at the last checkout step; PayPal still works.",
        impact_started_at=ago(32), detected_at=ago(25),
    )
    p1 = _walk(p1, eng1, "acknowledge", "investigate")
    incident_assign_role(incident=p1, role="commander", assignee=lead, user=eng1)
    incident_assign_role(incident=p1, role="tech_lead", assignee=eng2, user=lead)
    incident_assign_role(incident=p1, role="comms_lead", assignee=manager, user=lead)
    incident_assign_role(incident=p1, role="scribe", assignee=eng1, user=lead)
    status_update_post(
        incident=p1, user=manager, audience=UpdateAudience.INTERNAL,
        body="Card payments failing since the 4812 deploy. Rolling back; ETA 15 minutes.",
    )
    status_update_post(
        incident=p1, user=manager, audience=UpdateAudience.EXTERNAL,
        body="We are investigating errors affecting card payments at checkout. Next update within 30 minutes.",
    )
    _walk(p1, lead, "identify", note="Deploy 4812 exhausts the database connection pool.")

    # Payments, P3, not yet acknowledged: its deadline runs in Berlin business hours.
    incident_declare(
        service=services["invoicing"], user=manager, severity="P3",
        title="Invoice PDFs render without the company logo",
        description="Reported by finance; the PDFs are otherwise correct.", detected_at=ago(12),
    )

    # Payments, P3, closed after the whole lifecycle.
    gateway, _ = incident_declare(
        service=services["payment-gateway"], user=eng2, severity="P3",
        title="Gateway retries spike after acquirer maintenance", detected_at=ago(50),
    )
    gateway = _walk(gateway, eng2, "acknowledge", "investigate", "identify", "mitigate")
    status_update_post(incident=gateway, user=eng2, body="Failed over to the secondary acquirer; retries back to 1 %.")
    gateway = _walk(gateway, eng2, "resolve")
    incident_update(
        incident=gateway, user=manager,
        resolution_summary="The acquirer's maintenance ran long; failover to the secondary acquirer fixed it.",
    )
    _walk(gateway, manager, "close")

    # Search, P2 from monitoring: a second alert with the same dedup key folds into the open incident.
    eng1, eng2, lead, manager = (u["search", k] for k in ("engineer1", "engineer2", "lead", "manager"))
    lag, _ = incident_declare(
        service=services["search-indexer"], severity="P2", source=IncidentSource.INTEGRATION,
        dedup_key="indexer-lag-high", title="Search indexer lag above 30 minutes", detected_at=ago(40),
    )
    incident_declare(
        service=services["search-indexer"], severity="P2", source=IncidentSource.INTEGRATION,
        dedup_key="indexer-lag-high", title="Search indexer lag above 40 minutes",
    )
    lag = _walk(lag, eng1, "acknowledge")
    incident_assign_role(incident=lag, role="commander", assignee=lead, user=eng1)
    _walk(lag, eng1, "investigate")
    status_update_post(incident=lag, user=lead, body="Consumers stuck after a Kafka rebalance; restarting them.")

    # Search, P4, closed by the manager.
    typo, _ = incident_declare(
        service=services["search-api"], user=eng2, severity="P4", title="Typo in the search filter panel",
        detected_at=ago(90),
    )
    typo = _walk(typo, eng2, "acknowledge", "resolve")
    incident_update(incident=typo, user=eng2, resolution_summary="Fixed the translation string; released in 2.31.")
    _walk(typo, manager, "close")

    # Platform, P2, resolved with public updates, waiting for its summary before it can close.
    eng1, eng2, lead = (u["platform", k] for k in ("engineer1", "engineer2", "lead"))
    sso, _ = incident_declare(
        service=services["identity"], user=eng1, severity="P2", title="SSO logins fail for EU customers",
        impact_started_at=ago(75), detected_at=ago(70),
    )
    sso = _walk(sso, eng1, "acknowledge", "investigate")
    incident_assign_role(incident=sso, role="commander", assignee=lead, user=eng1)
    status_update_post(
        incident=sso, user=lead, audience=UpdateAudience.EXTERNAL,
        body="Some customers in Europe cannot sign in with single sign-on. We have found the cause and are fixing it.",
    )
    sso = _walk(sso, lead, "identify", note="The SAML signing certificate expired at midnight UTC.")
    sso = _walk(sso, lead, "mitigate", note="Rotating the certificate region by region.")
    _walk(sso, lead, "resolve")
    status_update_post(
        incident=sso, user=lead, audience=UpdateAudience.EXTERNAL,
        body="Resolved: single sign-on works again for all customers.",
    )

    # Platform, P3, acknowledged.
    edge, _ = incident_declare(
        service=services["edge-proxy"], user=eng2, severity="P3",
        title="Edge proxy latency elevated in ap-northeast-1", detected_at=ago(8),
    )
    _walk(edge, eng2, "acknowledge", note="Looking at the Tokyo point of presence.")
    return Incident.objects.filter(service__slug__in=DEMO_SERVICE_SLUGS).count()
