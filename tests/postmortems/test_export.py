"""The guide's own example, "API Outage - 2025-01-15", written through the services and exported."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_declare,
    incident_identify,
    incident_investigate,
    incident_mitigate,
    incident_resolve,
)
from oncall.models import TeamRole
from postmortems.insights import timeline_insights
from postmortems.markdown_export import postmortem_markdown
from postmortems.models import ActionItemStatus, FishboneCategory, Horizon, PostMortemTimelineEntry
from postmortems.services import postmortem_create, postmortem_publish, postmortem_save, postmortem_submit
from tests.factories import ServiceFactory, member

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "expected_postmortem.md"
UTC = dt.UTC


def at(hour, minute, second=0, day=15) -> dt.datetime:
    return dt.datetime(2025, 1, day, hour, minute, second, tzinfo=UTC)


# The guide's post-incident review template, heading by heading.
GUIDE_HEADINGS = [
    "# Post-Incident Review: API Outage - 2025-01-15",
    "## Metadata", "## Executive Summary", "## What Happened (Timeline)", "## Impact Assessment",
    "### User Impact", "### Business Impact", "### Technical Impact",
    "## Root Cause Analysis", "### Immediate Cause", "### Contributing Factors", "### Root Cause",
    "## What Went Well", "### Detection", "### Response", "### Recovery",
    "## What Could Be Improved", "### Prevention", "### Detection", "### Response", "### Systemic Issues",
    "## Action Items", "### Immediate (1 week)", "### Short-term (1 month)", "### Long-term (3 months)",
    "## Lessons Learned",
    "## Appendix", "### Supporting Data", "### Glossary", "### Related Incidents", "### Review Attendees",
]


@pytest.fixture
def people(team):
    return {
        "jane": member(team, TeamRole.ENGINEER, username="jane", first_name="Jane", last_name="Doe"),
        "john": member(team, TeamRole.ENGINEER, username="john", first_name="John", last_name="Smith"),
        "alice": member(team, TeamRole.MANAGER, username="alice", first_name="Alice", last_name="Johnson"),
    }


@pytest.fixture
def api_outage(team, people):
    """The guide's timeline analysis example, walked through the incident services at its own times."""
    jane, john = people["jane"], people["john"]
    service = ServiceFactory(team=team, name="API Gateway", slug="api-gateway")
    with time_machine.travel(at(14, 33, 15), tick=False) as clock:
        incident, _ = incident_declare(
            service=service, user=jane, title="API Outage", severity="P1",
            impact_started_at=at(14, 32), detected_at=at(14, 33, 15),
        )
        clock.move_to(at(14, 35))
        incident = incident_acknowledge(incident=incident, user=john)
        clock.move_to(at(14, 36))
        incident = incident_investigate(incident=incident, user=jane)
        incident_assign_role(incident=incident, role="commander", assignee=jane, user=jane)
        clock.move_to(at(14, 37))
        incident_assign_role(incident=incident, role="tech_lead", assignee=john, user=jane)
        clock.move_to(at(14, 48))
        incident = incident_identify(incident=incident, user=john, note="Config diff reveals timeout change: 5s → 60s")
        clock.move_to(at(14, 52))
        incident = incident_mitigate(incident=incident, user=john, note="Rollback initiated")
        clock.move_to(at(15, 5))
        incident = incident_resolve(incident=incident, user=jane, note="Monitoring for 5 minutes, no new errors")
        postmortem, _ = postmortem_create(incident=incident, automatic=True, resolver=jane)
    return postmortem


def write_the_review(postmortem, people):
    jane, john, alice = people["jane"], people["john"], people["alice"]
    copied = {entry.source_kind + ":" + entry.text.split(" (")[0]: entry for entry in postmortem.timeline.all()}
    declared = next(e for k, e in copied.items() if k.startswith("declared"))
    with time_machine.travel(at(10, 0, day=16), tick=False):
        postmortem_save(
            postmortem=postmortem, user=jane,
            fields={
                "executive_summary": (
                    "On January 15, 2025, our API service experienced a complete outage lasting 33 minutes. "
                    "A configuration error in a routine deployment caused the database connection pool to exhaust. "
                    "The issue was resolved by rolling back the deployment. No data was lost."
                ),
                "users_affected": "~50,000 (100% of active users)",
                "user_experience": "Complete inability to access any API functionality",
                "support_tickets": "127 support tickets filed",
                "revenue_impact": "~$4,700 (estimated from transaction volume)",
                "error_budget_consumed": "Monthly SLO of 99.9% consumed 67% of error budget",
                "reputation_impact": "High-profile users tweeted about outage",
                "support_cost": "~40 hours of support time responding to tickets",
                "failed_requests": "~2.1 million",
                "data_loss": "None",
                "services_affected": "API Gateway, All API Endpoints",
                "downstream_dependencies": "Mobile app, web app, third-party integrations",
                "immediate_cause": (
                    "Load balancer marked all backend servers as unhealthy because health check requests "
                    "exceeded the 2-second timeout."
                ),
                "root_cause": (
                    "A configuration change increasing database timeout was not properly reviewed or tested, "
                    "leading to connection pool exhaustion and cascading failure when deployed to production."
                ),
                "went_well_detection": "✓ Automated monitoring detected issue within 2 minutes\n"
                                       "✓ On-call engineer acknowledged within 2 minutes",
                "went_well_response": "- Clear role assignments (IC, TL, Scribe, Comms)\r\n\r\n"
                                      "- Rollback decision made decisively once root cause identified",
                "went_well_recovery": "Rollback executed cleanly without issues",
                "improve_prevention": "✗ Configuration changes should be validated automatically\n"
                                      "No staging environment to test configuration changes",
                "improve_detection": "No alerting on connection pool saturation",
                "improve_response": "No runbook for \"all servers unhealthy\" scenario",
                "improve_systemic": "",
                "lessons_learned": (
                    "1. **Configuration is Code**: Configuration changes deserve the rigor of code changes.\n"
                    "2. **Test in Staging**: A production-like staging environment would have caught this."
                ),
                "supporting_data": "[Grafana dashboard during incident](https://grafana.example.com/d/api)",
                "glossary": "**MTTA**: Mean Time to Acknowledge\n**MTTR**: Mean Time to Recovery",
                "related_incidents": "2024-11-03: Database connection pool exhaustion (different cause)",
                "other_attendees": "Bob Wilson (Product Manager)\nCarol Martinez (Customer Success)",
                "facilitator": alice,
            },
            attendees=[jane, john, alice],
            timeline=[
                {"id": declared.pk, "text": 'Automated alert fired: "High error rate"; declared P1'},
                {"id": None, "at": at(14, 28), "text": "Deployment started (v2.3.1)"},
                {"id": None, "at": at(14, 33), "text": "Complete outage (100% errors)", "is_key_event": True},
                {"id": None, "at": at(14, 58), "text": "Error rate normal (< 1%)"},
            ],
            whys=[
                {"id": None, "position": 1, "question": "Why is the website down?",
                 "answer": "The load balancer is marking all backend servers as unhealthy"},
                {"id": None, "position": 3, "question": "Why are health checks timing out?",
                 "answer": "Application is taking 5+ seconds to respond to health checks"},
                {"id": None, "position": 2, "question": "Why is the load balancer marking servers as unhealthy?",
                 "answer": "Health check requests are timing out after 2 seconds"},
            ],
            factors=[
                {"id": None, "category": FishboneCategory.MATERIALS, "title": "Configuration Change",
                 "description": "Deployment v2.3.1 changed database connection timeout from 5s to 60s"},
                {"id": None, "category": FishboneCategory.MACHINES, "title": "Connection Pool Exhaustion",
                 "description": "Longer timeouts caused connections to be held longer, exhausting the pool"},
                {"id": None, "category": FishboneCategory.METHODS, "title": "",
                 "description": "Configuration change not flagged in code review or tested in staging"},
            ],
        )
        pool = postmortem.contributing_factors.get(title="Connection Pool Exhaustion")
        postmortem_save(
            postmortem=postmortem, user=jane,
            action_items=[
                {"id": None, "title": "Add connection pool monitoring", "owner": john,
                 "horizon": Horizon.IMMEDIATE, "due_date": dt.date(2025, 1, 22), "factor": pool,
                 "description": "- Alert at 70% utilization (warning)\n- Alert at 85% utilization (critical)"},
                {"id": None, "title": "Increase connection pool size", "owner": alice,
                 "horizon": Horizon.IMMEDIATE, "due_date": dt.date(2025, 1, 22), "status": ActionItemStatus.DONE},
                {"id": None, "title": "Implement configuration validation", "owner": john,
                 "horizon": Horizon.SHORT_TERM, "status": ActionItemStatus.IN_PROGRESS,
                 "tracker_url": "https://tracker.example.com/OPS-42"},
                {"id": None, "title": "Rewrite the gateway in Rust", "owner": jane, "horizon": Horizon.LONG_TERM,
                 "due_date": dt.date(2025, 4, 15), "status": ActionItemStatus.WONT_DO,
                 "wont_do_reason": "Does not address the root cause."},
            ],
        )
        postmortem_submit(postmortem=postmortem, user=jane)
        return postmortem_publish(postmortem=postmortem, user=jane)


def test_key_insights_follow_the_lifecycle_times(api_outage):
    insights = {insight.key: insight.text for insight in timeline_insights(api_outage.incident)}
    assert insights == {
        "detection_delay": "1 minute 15 seconds",
        "response_time": "1 minute 45 seconds",
        "investigation_time": "13 minutes",
        "resolution_time": "17 minutes",
        "recovery_time": "13 minutes",
        "total_duration": "33 minutes",
    }


def test_skipped_states_leave_their_insight_unrecorded(resolved):
    insights = {insight.key: insight.text for insight in timeline_insights(resolved)}
    assert insights["investigation_time"] == "not recorded"
    assert insights["detection_delay"] == "not recorded"  # impact start unknown
    assert insights["total_duration"] != "not recorded"


def test_markdown_export_matches_the_guides_template(api_outage, people):
    postmortem = write_the_review(api_outage, people)
    markdown = postmortem_markdown(postmortem)

    assert markdown == FIXTURE.read_text(encoding="utf-8")
    guide_headings = [line for line in markdown.splitlines() if re.match(r"#+ ", line) and line != "### 5 Whys"
                      and line != "### Key Insights"]
    assert guide_headings == GUIDE_HEADINGS


def test_whys_are_renumbered_in_the_order_asked_for(api_outage, people):
    postmortem = write_the_review(api_outage, people)
    assert list(postmortem.whys.values_list("position", "question")) == [
        (1, "Why is the website down?"),
        (2, "Why is the load balancer marking servers as unhealthy?"),
        (3, "Why are health checks timing out?"),
    ]


def test_the_incident_timeline_is_untouched_by_edits(api_outage, people):
    incident = api_outage.incident
    before = list(incident.timeline.values_list("at", "note"))
    write_the_review(api_outage, people)
    assert list(incident.timeline.values_list("at", "note")) == before
    assert PostMortemTimelineEntry.objects.filter(postmortem=api_outage, source_entry__isnull=True).count() == 4


def test_download_is_an_attachment(client, api_outage, people):
    postmortem = write_the_review(api_outage, people)
    client.force_login(people["john"])
    response = client.get(reverse("postmortems:markdown", kwargs={"pk": postmortem.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="postmortem-{postmortem.incident.reference}-api-outage.md"'
    )
    assert response.content.decode() == FIXTURE.read_text(encoding="utf-8")


def test_print_view_shows_every_section(client, api_outage, people):
    postmortem = write_the_review(api_outage, people)
    client.force_login(people["john"])
    page = client.get(reverse("postmortems:print", kwargs={"pk": postmortem.pk})).content.decode()
    for heading in ("Metadata", "Executive Summary", "What Happened (Timeline)", "Key Insights", "Impact Assessment",
                    "Root Cause Analysis", "5 Whys", "Contributing Factors", "What Went Well",
                    "What Could Be Improved", "Action Items", "Lessons Learned", "Appendix", "Review Attendees"):
        assert f">{heading}</h" in page, heading
    assert "postmortems.css" in page and "data-print" in page
    assert "<strong>Configuration is Code</strong>" in page
