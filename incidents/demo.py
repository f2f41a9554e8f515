"""Demo services and incidents for a local installation (`manage.py seed_demo`). Never used in production.

Everything is written through incidents.services with the demo people as actors, so permissions,
SLA clocks, paging and timelines are exactly what real use produces. Each demo incident is one scenario,
made only while its service has no incident of that title, which makes a second run a no-op (and lets an
older demo database gain the scenarios added since).
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from incidents.models import OPEN_STATES, Incident, IncidentSource, Service, UpdateAudience
from incidents.services import (
    incident_assign_role,
    incident_declare,
    incident_transition,
    incident_update,
    service_create,
    service_update,
    status_update_post,
)
from oncall.demo import DemoPeople
from oncall.models import EscalationPolicy

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
def demo_services_seed(
    *, people: DemoPeople, policies: dict[str, EscalationPolicy], changes: Counter
) -> dict[str, Service]:
    """The demo services, created through service_create (which grants the team's object permissions) and
    linked to their team's default escalation policy; an existing service without a policy is linked to it."""
    services = {}
    for team_slug, rows in DEMO_SERVICES.items():
        team, policy = people.teams[team_slug], policies[team_slug]
        manager = people.users[team_slug, "manager"]
        for slug, name, description, runbook in rows:
            service = Service.objects.filter(slug=slug).first()
            if service is None:
                service = service_create(
                    user=manager, team=team, name=name, slug=slug, description=description, runbook=runbook,
                    runbook_reviewed_at=timezone.now(), escalation_policy=policy,
                )
                changes["service"] += 1
            elif service.escalation_policy_id is None and service.team_id == team.pk:
                service = service_update(user=manager, service=service, escalation_policy=policy)
                changes["service linked to its team's escalation policy"] += 1
            services[slug] = service
    return services


def _walk(incident: Incident, user, *actions: str, note: str = "") -> Incident:
    for action in actions:
        incident = incident_transition(incident=incident, user=user, action=action, note=note)
    return incident


Users = dict[tuple[str, str], object]
Ago = Callable[[int], dt.datetime]


def _checkout_p1(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Payments, P1, identified: every P1 role filled, an internal and a public update."""
    eng1, eng2, lead, manager = (u["payments", k] for k in ("engineer1", "engineer2", "lead", "manager"))
    p1, _ = incident_declare(
        service=services["checkout-api"], user=eng1, severity="P1", title=title,
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


def _invoicing_p3(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Payments, P3, not yet acknowledged: its deadline runs in Berlin business hours."""
    incident_declare(
        service=services["invoicing"], user=u["payments", "manager"], severity="P3", title=title,
        description="Reported by finance; the PDFs are otherwise correct.", detected_at=ago(12),
    )


def _gateway_p3(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Payments, P3, closed after the whole lifecycle."""
    eng2, manager = u["payments", "engineer2"], u["payments", "manager"]
    gateway, _ = incident_declare(
        service=services["payment-gateway"], user=eng2, severity="P3", title=title, detected_at=ago(50),
    )
    gateway = _walk(gateway, eng2, "acknowledge", "investigate", "identify", "mitigate")
    status_update_post(incident=gateway, user=eng2, body="Failed over to the secondary acquirer; retries back to 1 %.")
    gateway = _walk(gateway, eng2, "resolve")
    incident_update(
        incident=gateway, user=manager,
        resolution_summary="The acquirer's maintenance ran long; failover to the secondary acquirer fixed it.",
    )
    _walk(gateway, manager, "close")


def _indexer_p2(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Search, P2 from monitoring: a second alert with the same dedup key folds into the open incident."""
    eng1, lead = u["search", "engineer1"], u["search", "lead"]
    lag, _ = incident_declare(
        service=services["search-indexer"], severity="P2", source=IncidentSource.INTEGRATION,
        dedup_key="indexer-lag-high", title=title, detected_at=ago(40),
    )
    incident_declare(
        service=services["search-indexer"], severity="P2", source=IncidentSource.INTEGRATION,
        dedup_key="indexer-lag-high", title="Search indexer lag above 40 minutes",
    )
    lag = _walk(lag, eng1, "acknowledge")
    incident_assign_role(incident=lag, role="commander", assignee=lead, user=eng1)
    _walk(lag, eng1, "investigate")
    status_update_post(incident=lag, user=lead, body="Consumers stuck after a Kafka rebalance; restarting them.")


def _typo_p4(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Search, P4, closed by the manager."""
    eng2, manager = u["search", "engineer2"], u["search", "manager"]
    typo, _ = incident_declare(
        service=services["search-api"], user=eng2, severity="P4", title=title, detected_at=ago(90),
    )
    typo = _walk(typo, eng2, "acknowledge", "resolve")
    incident_update(incident=typo, user=eng2, resolution_summary="Fixed the translation string; released in 2.31.")
    _walk(typo, manager, "close")


def _stale_search_p2(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Search, P2, resolved with its summary written: only its post-mortem (left a draft) keeps it open."""
    eng3, lead = u["search", "engineer3"], u["search", "lead"]
    stale, _ = incident_declare(
        service=services["search-api"], user=eng3, severity="P2", title=title,
        description="Shoppers see products that sold out yesterday; prices on the result cards are a day old.",
        impact_started_at=ago(65), detected_at=ago(55),
    )
    stale = _walk(stale, eng3, "acknowledge", "investigate")
    incident_assign_role(incident=stale, role="commander", assignee=lead, user=eng3)
    stale = _walk(stale, lead, "identify", note="The nightly alias swap failed halfway: 6 of 12 shards serve the "
                                                "previous index.")
    status_update_post(incident=stale, user=lead, body="Pointing the alias at tonight's index by hand, shard by shard.")
    stale = _walk(stale, lead, "mitigate", "resolve")
    incident_update(
        incident=stale, user=lead,
        resolution_summary="Re-pointed the search alias at the new index; results are current again.",
    )


def _sso_p2(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Platform, P2, resolved with public updates; postmortems.demo publishes its post-mortem and closes it."""
    eng1, lead = u["platform", "engineer1"], u["platform", "lead"]
    sso, _ = incident_declare(
        service=services["identity"], user=eng1, severity="P2", title=title,
        impact_started_at=ago(75), detected_at=ago(70),
    )
    sso = _walk(sso, eng1, "acknowledge", "investigate")
    incident_assign_role(incident=sso, role="commander", assignee=lead, user=eng1)
    status_update_post(
        incident=sso, user=lead, audience=UpdateAudience.EXTERNAL,
        body="Some customers in Europe cannot sign in with single sign-on. We have found the cause and are fixing it.",
    )
    sso = _walk(sso, lead, "identify", note="The SAML signing certificate of the EU IdP tenant has expired.")
    sso = _walk(sso, lead, "mitigate", note="Rotating the certificate region by region.")
    _walk(sso, lead, "resolve")
    status_update_post(
        incident=sso, user=lead, audience=UpdateAudience.EXTERNAL,
        body="Resolved: single sign-on works again for all customers.",
    )


def _edge_p3(u: Users, services: dict[str, Service], ago: Ago, title: str) -> None:
    """Platform, P3, acknowledged."""
    eng2 = u["platform", "engineer2"]
    edge, _ = incident_declare(
        service=services["edge-proxy"], user=eng2, severity="P3", title=title, detected_at=ago(8),
    )
    _walk(edge, eng2, "acknowledge", note="Looking at the Tokyo point of presence.")


# The scenarios postmortems.demo builds on: (service slug, title).
SSO_INCIDENT = ("identity", "SSO logins fail for EU customers")
STALE_SEARCH_INCIDENT = ("search-api", "Search results stale after a failed index alias swap")

# (service slug, title, scenario), in the order they are declared.
SCENARIOS = (
    ("checkout-api", "Checkout returns 503 for card payments", _checkout_p1),
    ("invoicing", "Invoice PDFs render without the company logo", _invoicing_p3),
    ("payment-gateway", "Gateway retries spike after acquirer maintenance", _gateway_p3),
    ("search-indexer", "Search indexer lag above 30 minutes", _indexer_p2),
    ("search-api", "Typo in the search filter panel", _typo_p4),
    (*SSO_INCIDENT, _sso_p2),
    ("edge-proxy", "Edge proxy latency elevated in ap-northeast-1", _edge_p3),
    (*STALE_SEARCH_INCIDENT, _stale_search_p2),
)


def demo_incident(service_slug: str, title: str) -> Incident | None:
    return Incident.objects.filter(service__slug=service_slug, title=title).select_related("service__team").first()


@transaction.atomic
def demo_incidents_seed(*, people: DemoPeople, services: dict[str, Service], changes: Counter) -> None:
    """Open, resolved and closed incidents with roles, status updates and real timelines: each scenario whose
    service has no incident of its title yet."""
    now = timezone.now()

    def ago(minutes: int) -> dt.datetime:
        return now - dt.timedelta(minutes=minutes)

    for service_slug, title, scenario in SCENARIOS:
        if demo_incident(service_slug, title) is None:
            scenario(people.users, services, ago, title)
            changes["incident"] += 1


def demo_open_incidents_by_team() -> dict[str, str]:
    """team slug -> its open demo incidents, one line each, for the hand-off notes."""
    lines: dict[str, list[str]] = {}
    incidents = Incident.objects.filter(service__slug__in=DEMO_SERVICE_SLUGS, state__in=OPEN_STATES)
    for incident in incidents.select_related("service__team").order_by("severity", "detected_at"):
        lines.setdefault(incident.service.team.slug, []).append(
            f"{incident.reference} {incident.title}: {incident.severity}, {incident.get_state_display().lower()}."
        )
    return {slug: "\n".join(rows) for slug, rows in lines.items()}
