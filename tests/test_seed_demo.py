import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from incidents.close_checks import reasons_not_to_close
from incidents.demo_alert_hygiene import HEALTHY_HEARTBEAT, NOISY_INTEGRATION, ONE_OFF_WINDOW, WEEKLY_WINDOW
from incidents.models import (
    HeartbeatMonitor,
    Incident,
    IncidentSource,
    IncidentState,
    IntegrationVerdict,
    MaintenanceWindow,
    NoiseVerdict,
    Recurrence,
    Service,
    StatusUpdate,
    TimelineEntry,
    TimelineKind,
    UpdateAudience,
)
from incidents.selectors import incidents_visible_to, public_status
from incidents.services.heartbeats import heartbeat_ping
from oncall.demo import DEMO_PASSWORD, DEMO_TEAMS, NEWCOMER
from oncall.eligibility import missing_requirements
from oncall.models import (
    EscalationPolicy,
    HandoffNote,
    OverrideSource,
    Rotation,
    RotationKind,
    SwapRequest,
    SwapState,
    Team,
    Weekday,
)
from oncall.schedule import on_call
from oncall.selectors import escalation_policy_default
from oncall.views.published import schedule_rows
from postmortems.guards import publish_problems
from postmortems.models import ActionItemStatus, FishboneCategory, PostMortem, PostMortemState

pytestmark = pytest.mark.django_db
User = get_user_model()

# A Wednesday noon: no hand-off within hours of it (the demo's schedule is relative to now, and a test that
# straddled Monday 09:00 would see another person on call), and the six published weeks cross the EU's switch
# to summer time.
A_WEDNESDAY = dt.datetime(2025, 3, 19, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(A_WEDNESDAY, tick=True) as traveller:
        yield traveller


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    """Rows of every installed model, so nothing the seed touches can change unnoticed."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def edits() -> dict[str, list]:
    """When each row of every model that records it was last changed."""
    return {
        model._meta.label: sorted(model._default_manager.values_list("pk", "updated_at"))
        for model in apps.get_models()
        if any(f.name == "updated_at" for f in model._meta.get_fields())
    }


def primary(slug: str) -> Rotation:
    return Rotation.objects.select_related("team").get(team__slug=slug, kind=RotationKind.PRIMARY)


def test_running_twice_changes_nothing():
    first_output = seed()
    after_first, edited_first = counts(), edits()
    second_output = seed()

    assert counts() == after_first
    assert edits() == edited_first
    assert "Demo data created" in first_output
    assert "already present; nothing changed" in second_output
    assert "Skipped" not in first_output + second_output
    expected = {
        "oncall.Team": 3, "auth.User": 31, "oncall.OnCallProfile": 27, "oncall.Rotation": 6,
        "oncall.RotationMember": 24, "oncall.Blackout": 3, "oncall.SwapRequest": 6, "oncall.Override": 3,
        "oncall.HandoffNote": 3, "oncall.EscalationPolicy": 3, "incidents.Service": 7, "incidents.Incident": 11,
        "incidents.MaintenanceWindow": 2, "incidents.HeartbeatMonitor": 2, "incidents.Integration": 1,
        "incidents.IntegrationVerdict": 1, "incidents.Alert": 6, "postmortems.PostMortem": 2, "postmortems.Why": 2,
        "postmortems.ContributingFactor": 5, "postmortems.ActionItem": 5,
    }
    assert {label: after_first[label] for label in expected} == expected
    for label in ("oncall.SwapRequestEvent", "oncall.Notification", "postmortems.PostMortemEvent",
                  "postmortems.PostMortemTimelineEntry", "incidents.TimelineEntry", "oncall.EscalationLevel"):
        assert after_first[label] > 0


def test_prints_every_user_with_role_duty_and_password_and_where_to_look():
    output = seed()

    for username in ("admin", "payments-manager", "search-engineer2", "platform-stakeholder", "search-newcomer"):
        assert f"| {username} " in output
    assert "| payments-lead " in output and "Team lead" in output
    assert "| payments-engineer1   | Engineer    | Payments  | primary " in output
    assert "| payments-newcomer    | Engineer    | Payments  | not eligible yet " in output
    assert DEMO_PASSWORD in output
    published = PostMortem.objects.get(state=PostMortemState.PUBLISHED)
    assert "Where to look" in output
    for path in ("/oncall/teams/payments/", f"/postmortems/{published.pk}/", "/admin/oncall/oncallprofile/",
                 "/admin/postmortems/actionitem/?overdue=yes"):
        assert f"  {path} " in output


@pytest.mark.parametrize("username", ["admin", "payments-manager", "search-lead", "platform-engineer1",
                                      "payments-stakeholder", "search-engineer6", "platform-newcomer"])
def test_demo_users_can_log_in(client, username):
    seed()
    assert client.login(username=username, password=DEMO_PASSWORD)


def test_managers_and_superuser_reach_the_admin(client):
    seed()
    for username in ("admin", "search-manager"):
        client.login(username=username, password=DEMO_PASSWORD)
        assert client.get("/admin/incidents/incident/").status_code == 200


def test_responders_are_eligible_except_one_newcomer_per_team(client):
    seed()

    for slug, (_, _, members) in DEMO_TEAMS.items():
        for suffix, role, *_ in members:
            user = User.objects.get(username=f"{slug}-{suffix}")
            if suffix == NEWCOMER:
                assert {m.code for m in missing_requirements(user)} == {"onboarding", "shadow_shifts", "training"}
            elif role != "stakeholder":
                assert missing_requirements(user) == [], user.username
    client.login(username="payments-manager", password=DEMO_PASSWORD)
    page = client.get("/admin/oncall/oncallprofile/").content.decode()
    assert "Nina Braun" in page and "has shadowed 1 of the 2 required on-call shifts" in page


def test_each_team_has_a_weekly_primary_and_a_disjoint_secondary_rotation():
    seed()
    today = timezone.localdate()

    for team in Team.objects.all():
        rotations = {r.kind: r for r in team.rotations.all()}
        assert set(rotations) == {RotationKind.PRIMARY, RotationKind.SECONDARY}
        members = {kind: {m.user_id for m in r.rotation_members.all()} for kind, r in rotations.items()}
        assert 4 <= len(members[RotationKind.PRIMARY]) <= 5
        assert members[RotationKind.SECONDARY] and not members[RotationKind.PRIMARY] & members[RotationKind.SECONDARY]
        for rotation in rotations.values():
            assert rotation.shift_length == dt.timedelta(days=7)
            assert (rotation.handoff_weekday, rotation.handoff_time) == (Weekday.MONDAY, dt.time(9, 0))
            assert today - dt.timedelta(weeks=8) < rotation.start_date < today - dt.timedelta(weeks=2)
        now = on_call(team)
        assert now.primary and now.secondary and now.primary != now.secondary


def test_schedule_shows_a_blackout_conflict_and_a_swap_override(client):
    seed()

    for slug in DEMO_TEAMS:
        rows = schedule_rows(primary(slug), proposals=True)
        conflicts = [row for row in rows if row.has_conflict]
        assert len(conflicts) == 1 and conflicts[0].proposal is not None  # someone can take it over
        assert conflicts[0].start > timezone.now() + dt.timedelta(weeks=2)
        assert [row.source for row in rows].count("swap") == 1
    client.login(username="payments-manager", password=DEMO_PASSWORD)
    page = client.get("/oncall/teams/payments/").content.decode()
    assert "src-swap" in page and "Vacation" in page and "Resolve:" in page


def test_swaps_went_through_create_accept_approve_and_one_stays_open():
    seed()

    for slug in DEMO_TEAMS:
        swaps = SwapRequest.objects.filter(rotation__team__slug=slug)
        approved = swaps.get(state=SwapState.APPROVED)
        assert [e.to_state for e in approved.events.all()] == [SwapState.OPEN, SwapState.ACCEPTED, SwapState.APPROVED]
        assert approved.override.source == OverrideSource.SWAP and approved.override.user == approved.accepted_by
        assert approved.decided_by not in (approved.requester, approved.accepted_by)
        assert swaps.get(state=SwapState.OPEN).offered_to is None


def test_each_primary_has_the_outgoing_on_calls_handoff_note():
    seed()

    for slug in DEMO_TEAMS:
        rotation = primary(slug)
        note = HandoffNote.objects.get(rotation=rotation)
        assert note.author == on_call(rotation).primary and note.shift_start > timezone.now()
    payments_note = HandoffNote.objects.get(rotation__team__slug="payments")
    assert "Checkout returns 503" in payments_note.open_incidents


def test_services_use_their_teams_default_escalation_policy():
    seed()

    for service in Service.objects.select_related("team"):
        assert service.escalation_policy == escalation_policy_default(service.team)


def test_a_database_from_before_escalation_policies_gets_them():
    seed()
    Service.objects.update(escalation_policy=None)
    EscalationPolicy.objects.all().delete()

    output = seed()

    assert "3 escalation policies, 7 services linked to their team's escalation policy" in output
    for service in Service.objects.select_related("team"):
        assert service.escalation_policy == escalation_policy_default(service.team) is not None
    assert "nothing changed" in seed()


def test_one_postmortem_is_published_and_its_incident_closed_another_is_a_draft():
    seed()
    today = timezone.localdate()

    published = PostMortem.objects.get(state=PostMortemState.PUBLISHED)
    assert publish_problems(published) == []
    assert published.incident.state == IncidentState.CLOSED and published.incident.resolution_summary
    assert [e.to_state for e in published.events.all()] == ["draft", "in_review", "published"]
    assert published.whys.count() == 2
    assert set(published.contributing_factors.values_list("category", flat=True)) == set(FishboneCategory.values)
    items = list(published.action_items.all())
    assert all(item.owner and item.due_date for item in items)
    assert [item.is_overdue(today) for item in items].count(True) == 1
    assert [item.status for item in items].count(ActionItemStatus.DONE) == 1
    assert published.timeline.filter(is_key_event=True).exists() and published.attendees.count() == 4

    draft = PostMortem.objects.get(state=PostMortemState.DRAFT)
    assert draft.auto_drafted and draft.incident.state == IncidentState.RESOLVED
    assert draft.timeline.exists()
    assert reasons_not_to_close(draft.incident)  # the draft holds the P2 open


def test_postmortem_pages_render(client):
    seed()
    client.login(username="platform-stakeholder", password=DEMO_PASSWORD)
    published = PostMortem.objects.get(state=PostMortemState.PUBLISHED)
    page = client.get(f"/postmortems/{published.pk}/")
    assert page.status_code == 200 and "SAML" in page.content.decode()


def test_incidents_have_real_timelines_and_team_scoped_visibility():
    seed()
    payments_engineer = User.objects.get(username="payments-engineer1")
    visible = incidents_visible_to(payments_engineer)

    assert set(visible.values_list("service__team__slug", flat=True)) == {"payments"}
    closed = Incident.objects.filter(state=IncidentState.CLOSED)
    assert closed.count() == 3
    for incident in Incident.objects.all():
        assert incident.timeline.filter(kind=TimelineKind.DECLARED).count() == 1
    for incident in closed:
        assert incident.timeline.filter(kind=TimelineKind.TRANSITION, to_state=IncidentState.CLOSED).exists()
    assert TimelineEntry.objects.filter(kind=TimelineKind.DEDUPLICATED).count() == 1
    assert Incident.objects.filter(state__in=["detected", "acknowledged", "investigating", "identified"]).count() == 4
    assert Incident.objects.filter(state=IncidentState.RESOLVED).count() == 4  # the draft's P2, three alerts'
    assert StatusUpdate.objects.filter(audience=UpdateAudience.EXTERNAL).exists()
    assert any(i.external_updates for i in public_status()["open_incidents"])


def test_a_run_weeks_later_tops_up_what_time_used_up():
    seed()

    with time_machine.travel(timezone.now() + dt.timedelta(weeks=8), tick=False):
        output = seed()
        assert "1 maintenance window, 3 blackouts, 6 swap requests, 3 hand-off notes." in output
        assert MaintenanceWindow.objects.filter(
            service__slug=ONE_OFF_WINDOW[0], recurrence=Recurrence.ONCE, starts_at__gt=timezone.now()
        ).count() == 1
        for slug in DEMO_TEAMS:
            rows = schedule_rows(primary(slug))
            assert any(row.has_conflict for row in rows) and any(row.source == "swap" for row in rows)
        assert "nothing changed" in seed()


def test_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not Team.objects.exists()


def test_a_weekly_and_an_upcoming_one_off_maintenance_window():
    seed()
    now = timezone.now()

    weekly = MaintenanceWindow.objects.get(service__slug=WEEKLY_WINDOW[0])
    assert weekly.recurrence == Recurrence.WEEKLY and weekly.reason == WEEKLY_WINDOW[1]
    berlin = [o.starts_at.astimezone(weekly.tz) for o in weekly.upcoming(after=now, count=3)]
    # Tuesdays 02:00 Berlin on both sides of the switch to summer time (30 March 2025).
    assert [(d.weekday(), d.hour, d.minute) for d in berlin] == [(1, 2, 0)] * 3
    assert weekly.next_start_at == weekly.upcoming(after=now, count=1)[0].starts_at
    one_off = MaintenanceWindow.objects.get(service__slug=ONE_OFF_WINDOW[0])
    assert one_off.recurrence == Recurrence.ONCE and now < one_off.starts_at < now + dt.timedelta(days=4)
    assert one_off.created_by.username == "search-lead"


def test_a_healthy_heartbeat_whose_ping_url_is_printed_once():
    first, second = seed(), seed()

    monitor = HeartbeatMonitor.objects.get(service__slug=HEALTHY_HEARTBEAT[0], name=HEALTHY_HEARTBEAT[1])
    assert monitor.status == "up" and monitor.pings_received == 1
    assert HeartbeatMonitor.objects.get(paused=True).status == "paused"
    url = next(line for line in first.splitlines() if "ping URL" in line).rsplit(" ", 1)[-1]
    assert url.startswith("http") and "/integrations/heartbeat/" in url
    assert "/integrations/heartbeat/" not in second and "Rotate the keys" in second
    key = url.rstrip("/").rsplit("/", 1)[-1]
    assert heartbeat_ping(key=key).pk == monitor.pk


def test_noise_verdicts_and_a_noisy_integration_flagged_on_the_hygiene_page(client):
    output = seed()

    judged = Incident.objects.filter(service__slug=NOISY_INTEGRATION[0], source=IncidentSource.INTEGRATION)
    assert sorted(judged.values_list("noise_verdict", flat=True)) == sorted(NoiseVerdict.values)
    assert all(i.state == IncidentState.RESOLVED and i.alerts.exists() for i in judged)
    assert judged.get(noise_verdict=NoiseVerdict.FALSE_ALARM).false_alarm
    stream = IntegrationVerdict.objects.get()
    assert stream.verdict == NoiseVerdict.NOISY and stream.integration.name == NOISY_INTEGRATION[1]
    link = next(line.split()[0] for line in output.splitlines() if line.strip().startswith("/postmortems/hygiene/"))
    client.login(username="search-manager", password=DEMO_PASSWORD)
    for path in ("/postmortems/hygiene/", link):
        page = client.get(path)
        assert page.status_code == 200
        assert NOISY_INTEGRATION[1] in page.content.decode() and "tune the alert or remove it" in page.content.decode()
    assert "1 (33 %)" in client.get(link).content.decode()  # of the integration's three incidents, one of each
