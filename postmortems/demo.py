"""Demo post-mortems for a local installation (`manage.py seed_demo`). Never used in production.

Two of incidents.demo's resolved P2 incidents get theirs, the way the post-mortems app drafts them when an
incident resolves (the signal's reaction runs after commit; the seed asks for the draft itself, and the
reaction then finds it): the SSO outage's is filled in completely, submitted, published and its incident
closed with a resolution summary; the stale-search one stays the automatic draft. All through
postmortems.services, as the edit form and the buttons would; a post-mortem someone already touched is left
as it is, so a second run changes nothing.
"""

import datetime as dt
from collections import Counter

from django.db import transaction
from django.utils import timezone

from incidents.demo import SSO_INCIDENT, STALE_SEARCH_INCIDENT, demo_incident
from incidents.models import IncidentState
from incidents.services import incident_transition
from oncall.demo import DemoPeople
from postmortems.models import (
    ActionItem,
    ActionItemStatus,
    ContributingFactor,
    FishboneCategory,
    Horizon,
    PostMortem,
    PostMortemState,
)
from postmortems.services import (
    action_item_set_status,
    postmortem_create,
    postmortem_publish,
    postmortem_save,
    postmortem_submit,
)

SSO_SECTIONS = {
    "executive_summary": (
        "For about 70 minutes, customers whose single sign-on runs through our EU identity-provider tenant could "
        "not sign in. The tenant's SAML signing certificate expired; the renewal reminder was a calendar entry of "
        "an engineer who had moved teams. We rotated the certificate region by region and logins recovered."
    ),
    "users_affected": "~8,400 (about 30 % of EU business customers)",
    "user_experience": "SSO sign-in ended on “Invalid SAML response”; sessions already open and password logins "
                       "kept working.",
    "support_tickets": "46 tickets, 3 escalations from enterprise accounts",
    "revenue_impact": "None measured; two renewals flagged as at risk by account management",
    "error_budget_consumed": "Login availability SLO: 38 % of this month's error budget",
    "reputation_impact": "Public status page incident; questions from two customers' security teams",
    "support_cost": "~14 support hours",
    "failed_requests": "~21,000 failed SSO logins",
    "data_loss": "None",
    "services_affected": "Identity & SSO",
    "downstream_dependencies": "Admin console and API tokens issued from SSO sessions",
    "immediate_cause": "The EU tenant's SAML signing certificate expired, so service providers rejected every "
                       "assertion it signed.",
    "root_cause": "Certificate renewal depended on one person's calendar reminder, and nothing monitored the "
                  "expiry dates of the certificates the login path depends on.",
    "went_well_detection": "The synthetic SSO probe alerted five minutes after impact started.",
    "went_well_response": "A commander was named within minutes.\nThe first public update went out in 15 minutes.",
    "went_well_recovery": "Rotating region by region never logged out customers in healthy regions.",
    "improve_prevention": "Alert on certificate expiry 30 days ahead.\nAutomate renewal.",
    "improve_detection": "Probe SSO from every region, not only eu-west.",
    "improve_response": "The Identity runbook had no certificate-rotation steps; we worked them out live.",
    "improve_systemic": "Renewals belong to the team's rotation, not to a person.",
    "lessons_learned": "**Alerts outlast reminders**: a calendar entry leaves with its owner; an alert stays.\n"
                       "**Roll out in stages**: region by region kept a fix from becoming a second outage.",
    "supporting_data": "https://grafana.example.com/d/sso-logins\nhttps://status.example.com/",
    "glossary": "**SAML**: Security Assertion Markup Language, the single sign-on protocol\n"
                "**IdP**: identity provider",
    "other_attendees": "Priya Shah (Customer Support lead)",
}

SSO_WHYS = (
    ("Why did SSO logins fail for EU customers?",
     "Because the EU tenant's SAML signing certificate had expired, and service providers reject assertions "
     "signed with an expired certificate."),
    ("Why was the certificate not renewed in time?",
     "Because renewal relied on a calendar reminder of an engineer who had moved teams, and no alert watched the "
     "expiry date."),
)

# category -> (title, description); one contributing factor per fishbone bone
SSO_FACTORS = {
    FishboneCategory.METHODS: ("Manual renewal", "Certificates are renewed by hand from a reminder, not by a job."),
    FishboneCategory.MACHINES: ("No expiry monitoring", "Monitoring checks that SSO answers, not how long its "
                                                        "certificates stay valid."),
    FishboneCategory.MATERIALS: ("One-year certificate", "The certificate was issued for a year with no overlap "
                                                         "window for the next one."),
    FishboneCategory.MANPOWER: ("Knowledge with one person", "Only one engineer had rotated this certificate "
                                                             "before; the runbook does not mention it."),
    FishboneCategory.ENVIRONMENT: ("Monday morning peak", "It expired just before the EU Monday login peak, "
                                                          "which multiplied the impact."),
}


def _sso_action_items(people: DemoPeople, factors: dict[str, ContributingFactor], today: dt.date) -> list[dict]:
    u = people.users
    return [
        {"title": "Alert 30 days before any certificate on the login path expires", "horizon": Horizon.IMMEDIATE,
         "owner": u["platform", "engineer1"], "due_date": today - dt.timedelta(days=1),
         "status": ActionItemStatus.IN_PROGRESS, "tracker_url": "https://tracker.example.com/PLAT-1432",
         "factor": factors[FishboneCategory.MACHINES]},
        {"title": "Rotate the EU signing certificate with a one-week overlap", "horizon": Horizon.IMMEDIATE,
         "owner": u["platform", "engineer2"], "due_date": today + dt.timedelta(days=2),
         "factor": factors[FishboneCategory.MATERIALS]},
        {"title": "Renew SAML certificates automatically with cert-manager", "horizon": Horizon.SHORT_TERM,
         "owner": u["platform", "lead"], "factor": factors[FishboneCategory.METHODS]},
        {"title": "Add certificate rotation to the Identity runbook and rehearse it in pairs",
         "horizon": Horizon.SHORT_TERM, "owner": u["platform", "engineer3"],
         "factor": factors[FishboneCategory.MANPOWER]},
        {"title": "Probe SSO logins from every region", "horizon": Horizon.LONG_TERM,
         "owner": u["platform", "engineer4"], "factor": factors[FishboneCategory.ENVIRONMENT]},
    ]


def _untouched(postmortem: PostMortem) -> bool:
    return (postmortem.state == PostMortemState.DRAFT and not postmortem.executive_summary.strip()
            and not postmortem.action_items.exists() and not postmortem.whys.exists())


def _publish_sso(postmortem: PostMortem, people: DemoPeople) -> PostMortem:
    """Fill every section the way the edit form would, then submit and publish."""
    u = people.users
    owner, facilitator = postmortem.owner or u["platform", "lead"], u["platform", "manager"]
    incident = postmortem.incident
    impact = postmortem.timeline.filter(source_kind="impact_start").first()
    timeline = [{"id": None, "at": incident.detected_at + dt.timedelta(minutes=4), "is_key_event": False,
                 "text": "Support reports a spike of “cannot sign in” tickets from EU customers."}]
    if impact is not None:
        timeline.append({"id": impact.pk, "text": "Impact started: the EU tenant's SAML signing certificate expired."})
    postmortem = postmortem_save(
        postmortem=postmortem, user=owner,
        fields={**SSO_SECTIONS, "owner": owner, "facilitator": facilitator, "review_meeting_at": timezone.now()},
        attendees=[owner, facilitator, u["platform", "engineer1"], u["platform", "engineer2"]],
        whys=[{"id": None, "position": n, "question": q, "answer": a} for n, (q, a) in enumerate(SSO_WHYS, 1)],
        factors=[{"id": None, "category": category, "title": title, "description": description}
                 for category, (title, description) in SSO_FACTORS.items()],
        timeline=timeline,
    )
    factors = {f.category: f for f in postmortem.contributing_factors.all()}
    postmortem = postmortem_save(
        postmortem=postmortem, user=owner,
        action_items=[{"id": None, **row} for row in _sso_action_items(people, factors, timezone.localdate())],
    )
    postmortem = postmortem_submit(postmortem=postmortem, user=owner, note="Reviewed in the meeting; ready.")
    postmortem = postmortem_publish(postmortem=postmortem, user=facilitator)
    # Tracked after publication, as action items are: the quick fix is done already.
    done = ActionItem.objects.get(postmortem=postmortem, title__startswith="Rotate the EU signing certificate")
    action_item_set_status(item=done, user=done.owner, status=ActionItemStatus.DONE)
    return postmortem


@transaction.atomic
def demo_postmortems_seed(*, people: DemoPeople, changes: Counter) -> None:
    """The SSO outage's post-mortem published and its incident closed; the stale-search one left a draft."""
    lead = people.users["platform", "lead"]
    sso = demo_incident(*SSO_INCIDENT)
    if sso is not None:
        postmortem, created = postmortem_create(incident=sso, automatic=True, resolver=lead)
        changes["post-mortem"] += created
        if postmortem is not None and _untouched(postmortem):
            _publish_sso(postmortem, people)
            changes["published post-mortem"] += 1
            incident_transition(
                incident=sso, user=lead, action="close", note="Post-mortem published.",
                resolution_summary="The EU IdP tenant's SAML signing certificate expired; rotating it region by "
                                   "region restored SSO logins. Follow-ups are tracked in the post-mortem.",
            )
            changes["closed incident"] += 1
    stale = demo_incident(*STALE_SEARCH_INCIDENT)
    if stale is not None and stale.state in (IncidentState.RESOLVED, IncidentState.CLOSED):
        postmortem, created = postmortem_create(incident=stale, automatic=True, resolver=people.users["search", "lead"])
        changes["post-mortem"] += created
