from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from incidents.models import (
    Incident,
    IncidentGroupObjectPermission,
    IncidentState,
    RoleAssignment,
    Service,
    StatusUpdate,
    TimelineEntry,
    TimelineKind,
    UpdateAudience,
)
from incidents.selectors import incidents_visible_to, public_status
from oncall.demo import DEMO_PASSWORD
from oncall.models import Team, TeamMembership

pytestmark = pytest.mark.django_db

COUNTED = (
    get_user_model(), Group, Team, TeamMembership, Service, Incident, TimelineEntry, StatusUpdate, RoleAssignment,
    IncidentGroupObjectPermission,
)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_running_twice_changes_nothing():
    first_output = seed()
    after_first = counts()
    second_output = seed()

    assert counts() == after_first
    assert after_first["Team"] == 3
    assert after_first["Incident"] == 7
    assert "Demo data created" in first_output
    assert "already present; nothing changed" in second_output


def test_prints_every_user_with_role_team_and_password():
    output = seed()

    for username in ("admin", "payments-manager", "search-engineer2", "platform-stakeholder"):
        assert f"| {username} " in output
    assert "| payments-lead " in output and "Team lead" in output
    assert DEMO_PASSWORD in output


@pytest.mark.parametrize("username", ["admin", "payments-manager", "search-lead", "platform-engineer1",
                                      "payments-stakeholder"])
def test_demo_users_can_log_in(client, username):
    seed()
    assert client.login(username=username, password=DEMO_PASSWORD)


def test_managers_and_superuser_reach_the_admin(client):
    seed()
    for username in ("admin", "search-manager"):
        client.login(username=username, password=DEMO_PASSWORD)
        assert client.get("/admin/incidents/incident/").status_code == 200


def test_incidents_have_real_timelines_and_team_scoped_visibility():
    seed()
    payments_engineer = get_user_model().objects.get(username="payments-engineer1")
    visible = incidents_visible_to(payments_engineer)

    assert set(visible.values_list("service__team__slug", flat=True)) == {"payments"}
    closed = Incident.objects.filter(state=IncidentState.CLOSED)
    assert closed.count() == 2
    for incident in Incident.objects.all():
        assert incident.timeline.filter(kind=TimelineKind.DECLARED).count() == 1
    for incident in closed:
        assert incident.timeline.filter(kind=TimelineKind.TRANSITION, to_state=IncidentState.CLOSED).exists()
    assert TimelineEntry.objects.filter(kind=TimelineKind.DEDUPLICATED).count() == 1
    assert Incident.objects.filter(state__in=["detected", "acknowledged", "investigating", "identified"]).count() == 4
    assert StatusUpdate.objects.filter(audience=UpdateAudience.EXTERNAL).exists()
    assert any(i.external_updates for i in public_status()["open_incidents"])


def test_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not Team.objects.exists()
