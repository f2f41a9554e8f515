"""Demo teams and people for a local installation (`manage.py seed_demo`). Never used in production.

Idempotent: teams are found by slug and users by username; what already exists is left exactly as it is
(a demo user who changed their password or role keeps it). Memberships go through
oncall.services.team_member_set, so permission groups and staff status are synced as in real use.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from oncall.models import Team, TeamMembership, TeamRole
from oncall.services import team_member_set

DEMO_PASSWORD = "watchkeeper-demo"
SUPERUSER = ("admin", "Ada", "Admin")

# slug -> (name, time zone, [(username suffix, role, first name, last name)])
DEMO_TEAMS = {
    "payments": ("Payments", "Europe/Berlin", [
        ("manager", TeamRole.MANAGER, "Mona", "Becker"),
        ("lead", TeamRole.LEAD, "Lars", "Vogel"),
        ("engineer1", TeamRole.ENGINEER, "Erin", "Schulz"),
        ("engineer2", TeamRole.ENGINEER, "Emil", "Wagner"),
        ("stakeholder", TeamRole.STAKEHOLDER, "Sofia", "Klein"),
    ]),
    "search": ("Search", "America/New_York", [
        ("manager", TeamRole.MANAGER, "Maya", "Johnson"),
        ("lead", TeamRole.LEAD, "Liam", "Carter"),
        ("engineer1", TeamRole.ENGINEER, "Ethan", "Brooks"),
        ("engineer2", TeamRole.ENGINEER, "Ella", "Rivera"),
        ("stakeholder", TeamRole.STAKEHOLDER, "Sam", "Parker"),
    ]),
    "platform": ("Platform", "Asia/Tokyo", [
        ("manager", TeamRole.MANAGER, "Mei", "Tanaka"),
        ("lead", TeamRole.LEAD, "Kenji", "Sato"),
        ("engineer1", TeamRole.ENGINEER, "Yuki", "Ito"),
        ("engineer2", TeamRole.ENGINEER, "Hana", "Suzuki"),
        ("stakeholder", TeamRole.STAKEHOLDER, "Ren", "Kobayashi"),
    ]),
}


def demo_username(team_slug: str, suffix: str) -> str:
    return f"{team_slug}-{suffix}"


@dataclass
class DemoPeople:
    teams: dict[str, Team] = field(default_factory=dict)
    # (team slug, username suffix) -> user, e.g. people.users["payments", "lead"]
    users: dict[tuple[str, str], object] = field(default_factory=dict)
    superuser: object = None
    # (username, role label, team name) in the order they should be listed
    roster: list[tuple[str, str, str]] = field(default_factory=list)
    created_users: int = 0
    created_teams: int = 0


@transaction.atomic
def demo_people_seed(*, password: str = DEMO_PASSWORD) -> DemoPeople:
    """Create the demo teams, a superuser and five people per team (one per role, two engineers)."""
    User = get_user_model()
    people = DemoPeople()
    # One hash for every new demo account: they share a published password anyway, and hashing it
    # sixteen times would make the first `make run` needlessly slow.
    hashed = make_password(password)

    username, first, last = SUPERUSER
    people.superuser = User.objects.filter(username=username).first()
    if people.superuser is None:
        people.superuser = User.objects.create(
            username=username, first_name=first, last_name=last, email=f"{username}@example.com",
            password=hashed, is_staff=True, is_superuser=True,
        )
        people.created_users += 1
    people.roster.append((username, "Superuser", "all teams"))

    for slug, (name, time_zone, members) in DEMO_TEAMS.items():
        team, created = Team.objects.get_or_create(slug=slug, defaults={"name": name, "time_zone": time_zone})
        people.teams[slug] = team
        people.created_teams += created
        for suffix, role, first, last in members:
            username = demo_username(slug, suffix)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username, first_name=first, last_name=last, email=f"{username}@example.com",
                    password=hashed,
                )
                people.created_users += 1
            membership = TeamMembership.objects.filter(team=team, user=user).first()
            if membership is None:
                membership = team_member_set(team=team, user=user, role=role)
                user.refresh_from_db()  # the group sync may have made a manager staff
            people.users[slug, suffix] = user
            people.roster.append((username, membership.get_role_display(), team.name))
    return people
