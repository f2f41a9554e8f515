"""Demo teams, people and on-call schedules for a local installation (`manage.py seed_demo`). Never used in
production.

Idempotent: teams are found by slug, users by username, profiles by user and rotations by (team, kind); what
already exists is left exactly as it is (a demo user who changed their password or role keeps it). Everything
is written through oncall.services, so permission groups, eligibility and the swap guards are as in real use.

The schedule changes that time uses up (a blackout, two swaps, a hand-off note) are topped up instead: one
is made only while the team has none still ahead. A second run changes nothing; a run weeks later brings the
conflict and the swap override back to the published schedule.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from oncall.coverage import coverage_problems
from oncall.eligibility import display_name, missing_requirements
from oncall.models import (
    Blackout,
    BlackoutReason,
    EscalationPolicy,
    HandoffNote,
    OnCallProfile,
    Rotation,
    RotationKind,
    RotationMember,
    SwapRequest,
    Team,
    TeamMembership,
    TeamRole,
    Weekday,
)
from oncall.schedule import PUBLISHED_WEEKS, Shift, ShiftSource, shift_at, shifts
from oncall.selectors import APPROVER_ROLES, escalation_policy_default
from oncall.services import (
    DEFAULT_POLICY_NAME,
    blackout_create,
    escalation_policy_seed_default,
    handoff_note_write,
    oncall_profile_set,
    rotation_create,
    rotation_member_add,
    swap_request_accept,
    swap_request_approve,
    swap_request_create,
    team_member_set,
)

DEMO_PASSWORD = "watchkeeper-demo"
SUPERUSER = ("admin", "Ada", "Admin")
NEWCOMER = "newcomer"

# slug -> (name, time zone, [(username suffix, role, first name, last name)])
DEMO_TEAMS = {
    "payments": ("Payments", "Europe/Berlin", [
        ("manager", TeamRole.MANAGER, "Mona", "Becker"),
        ("lead", TeamRole.LEAD, "Lars", "Vogel"),
        ("engineer1", TeamRole.ENGINEER, "Erin", "Schulz"),
        ("engineer2", TeamRole.ENGINEER, "Emil", "Wagner"),
        ("engineer3", TeamRole.ENGINEER, "Jonas", "Fischer"),
        ("engineer4", TeamRole.ENGINEER, "Lena", "Hoffmann"),
        ("engineer5", TeamRole.ENGINEER, "Paul", "Weber"),
        ("engineer6", TeamRole.ENGINEER, "Clara", "Meyer"),
        (NEWCOMER, TeamRole.ENGINEER, "Nina", "Braun"),
        ("stakeholder", TeamRole.STAKEHOLDER, "Sofia", "Klein"),
    ]),
    "search": ("Search", "America/New_York", [
        ("manager", TeamRole.MANAGER, "Maya", "Johnson"),
        ("lead", TeamRole.LEAD, "Liam", "Carter"),
        ("engineer1", TeamRole.ENGINEER, "Ethan", "Brooks"),
        ("engineer2", TeamRole.ENGINEER, "Ella", "Rivera"),
        ("engineer3", TeamRole.ENGINEER, "Noah", "Bennett"),
        ("engineer4", TeamRole.ENGINEER, "Ava", "Mitchell"),
        ("engineer5", TeamRole.ENGINEER, "Lucas", "Reed"),
        ("engineer6", TeamRole.ENGINEER, "Chloe", "Hayes"),
        (NEWCOMER, TeamRole.ENGINEER, "Owen", "Price"),
        ("stakeholder", TeamRole.STAKEHOLDER, "Sam", "Parker"),
    ]),
    "platform": ("Platform", "Asia/Tokyo", [
        ("manager", TeamRole.MANAGER, "Mei", "Tanaka"),
        ("lead", TeamRole.LEAD, "Kenji", "Sato"),
        ("engineer1", TeamRole.ENGINEER, "Yuki", "Ito"),
        ("engineer2", TeamRole.ENGINEER, "Hana", "Suzuki"),
        ("engineer3", TeamRole.ENGINEER, "Takumi", "Watanabe"),
        ("engineer4", TeamRole.ENGINEER, "Aoi", "Yamamoto"),
        ("engineer5", TeamRole.ENGINEER, "Sora", "Nakamura"),
        ("engineer6", TeamRole.ENGINEER, "Riko", "Kato"),
        (NEWCOMER, TeamRole.ENGINEER, "Daiki", "Yoshida"),
        ("stakeholder", TeamRole.STAKEHOLDER, "Ren", "Kobayashi"),
    ]),
}

# Eligible responders: suffix -> (days since onboarding, shadowed shifts). The newcomer joined twelve days ago,
# shadowed one shift and has no training yet, so the profile admin lists what they still miss.
TENURE = {
    "manager": (1460, 6), "lead": (1095, 6), "engineer1": (730, 4), "engineer2": (545, 4),
    "engineer3": (400, 3), "engineer4": (120, 2), "engineer5": (910, 5), "engineer6": (240, 3),
}
NEWCOMER_FACTS = {"days": 12, "shadow_shifts_completed": 1, "training_completed": False, "production_access": True}

# Disjoint, so nobody is primary and secondary at once; the secondary is the seniors' backstop.
ROTATION_MEMBERS = {
    RotationKind.PRIMARY: ("engineer1", "engineer2", "engineer3", "engineer4"),
    RotationKind.SECONDARY: ("lead", "engineer5", "engineer6", "manager"),
}
ROTATION_STARTED_WEEKS_AGO = 5
BLACKOUT_WEEKS_AHEAD = 3  # past the two swapped shifts, inside the six published weeks

# slug -> (ongoing issues, scheduled changes) for the hand-off note
HANDOFF_NOTES = {
    "payments": (
        "Acquirer B shows short latency spikes around 20:00 every evening; watch the gateway retry panel.",
        "Wednesday 14:00: minor-version upgrade of checkout-db (CHG-2211), read-only for about two minutes.",
    ),
    "search": (
        "Indexer consumers were restarted after the Kafka rebalance; lag is falling but not yet under 5 minutes.",
        "Thursday 02:00: re-index of the catalogue with the new synonym list; expect stale results for an hour.",
    ),
    "platform": (
        "The EU IdP tenant runs on the certificate rotated during the SSO incident; the old one is still listed.",
        "Tuesday 10:00: edge proxy config push to ap-northeast-1 (CHG-873), canary first.",
    ),
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
    """Create the demo teams, a superuser and ten people per team (every role, seven engineers)."""
    User = get_user_model()
    people = DemoPeople()
    # One hash for every new demo account: they share a published password anyway, and hashing it
    # thirty times would make the first `make run` needlessly slow.
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


@transaction.atomic
def demo_profiles_seed(*, people: DemoPeople, changes: Counter) -> None:
    """An on-call profile for every demo responder: eligible, except each team's newcomer. Existing profiles
    are left as they are."""
    for (slug, suffix), user in people.users.items():
        if suffix not in (*TENURE, NEWCOMER) or OnCallProfile.objects.filter(user=user).exists():
            continue  # stakeholders are not on call
        team = people.teams[slug]
        today = dt.datetime.now(team.tz).date()
        if suffix == NEWCOMER:
            facts = dict(NEWCOMER_FACTS)
            facts["onboarded_on"] = today - dt.timedelta(days=facts.pop("days"))
        else:
            days, shadowed = TENURE[suffix]
            facts = {"onboarded_on": today - dt.timedelta(days=days), "shadow_shifts_completed": shadowed,
                     "training_completed": True, "production_access": True}
        oncall_profile_set(user=user, time_zone=team.time_zone, **facts)
        changes["on-call profile"] += 1


@transaction.atomic
def demo_escalation_policies_seed(*, people: DemoPeople, changes: Counter) -> dict[str, EscalationPolicy]:
    """Each team's default escalation policy, by team slug. New teams get the guide's policy from a signal;
    teams made before that signal existed get it here."""
    policies = {}
    for slug, team in people.teams.items():
        existed = EscalationPolicy.objects.filter(team=team, name=DEFAULT_POLICY_NAME).exists()
        seeded = escalation_policy_seed_default(team=team)
        changes["escalation policy"] += not existed
        policies[slug] = escalation_policy_default(team) or seeded
    return policies


@transaction.atomic
def demo_rotations_seed(*, people: DemoPeople, changes: Counter) -> dict[tuple[str, str], Rotation]:
    """A weekly primary and secondary rotation per team (Monday 09:00 team time, started a few weeks ago),
    keyed by (team slug, kind). A team's existing rotation of a kind is kept with its members."""
    rotations = {}
    for slug, team in people.teams.items():
        start_date = dt.datetime.now(team.tz).date() - dt.timedelta(weeks=ROTATION_STARTED_WEEKS_AGO)
        for kind, suffixes in ROTATION_MEMBERS.items():
            rotation = Rotation.objects.filter(team=team, kind=kind).select_related("team").first()
            if rotation is None:
                rotation = rotation_create(
                    team=team, name=f"{team.name} {RotationKind(kind).label.lower()}", kind=kind,
                    start_date=start_date, shift_length=dt.timedelta(days=7), handoff_weekday=Weekday.MONDAY,
                    handoff_time=dt.time(9, 0),
                )
                for suffix in suffixes:
                    rotation_member_add(rotation=rotation, user=people.users[slug, suffix])
                changes["rotation"] += 1
            rotations[slug, kind] = rotation
    return rotations


# --- schedule changes that time uses up -------------------------------------------------------------------


def _upcoming(rotation: Rotation, now: dt.datetime) -> list[Shift]:
    """The rotation's own shifts that start after `now`, in the published weeks."""
    found = shifts(rotation, now, now + dt.timedelta(weeks=PUBLISHED_WEEKS))
    return [s for s in found if s.source == ShiftSource.ROTATION and s.start > now]


def _members(rotation: Rotation) -> list:
    return [m.user for m in rotation.rotation_members.select_related("user").order_by("position")]


def _colleague(rotation: Rotation, requester, start: dt.datetime, end: dt.datetime):
    """The next member after `requester` (in rotation order) who could take [start, end) over."""
    members = _members(rotation)
    after = members.index(requester) + 1 if requester in members else 0
    busy = {s.user.pk for s in shifts(rotation, start, end)}
    for candidate in members[after:] + members[:after]:
        if candidate.pk != requester.pk and candidate.pk not in busy and not coverage_problems(
            rotation=rotation, user=candidate, start=start, end=end
        ):
            return candidate
    return None


def _approver(team: Team, *, besides: set[int]):
    memberships = TeamMembership.objects.filter(team=team, role__in=APPROVER_ROLES).exclude(user_id__in=besides)
    membership = memberships.select_related("user").order_by("role", "user__username").first()
    return membership.user if membership else None


def _blackout(rotation: Rotation, now: dt.datetime, changes: Counter) -> None:
    if Blackout.objects.filter(user__in=_members(rotation), end__gt=now).exists():
        return
    later = [s for s in _upcoming(rotation, now) if s.start >= now + dt.timedelta(weeks=BLACKOUT_WEEKS_AHEAD)]
    if not later:
        raise ApplicationError(f"{rotation.name} has no shift {BLACKOUT_WEEKS_AHEAD} weeks ahead.")
    shift, tz = later[0], rotation.team.tz
    first_day = shift.start.astimezone(tz).date() + dt.timedelta(days=2)  # Wednesday to Saturday, local
    blackout_create(
        user=shift.user, reason=BlackoutReason.VACATION, note="Long weekend away, booked before the rota was out.",
        start=dt.datetime.combine(first_day, dt.time(0), tzinfo=tz),
        end=dt.datetime.combine(first_day + dt.timedelta(days=4), dt.time(0), tzinfo=tz),
    )
    changes["blackout"] += 1


def _swaps(rotation: Rotation, now: dt.datetime, changes: Counter) -> None:
    """An approved swap of the next shift's weekend (so the schedule shows a swap override) and an open one
    for a day of the shift after."""
    if SwapRequest.objects.filter(rotation__team_id=rotation.team_id, end__gt=now).exists():
        return
    upcoming = _upcoming(rotation, now)
    if len(upcoming) < 2:
        raise ApplicationError(f"{rotation.name} has fewer than two shifts ahead.")
    first, second = upcoming[:2]
    start, end = first.end - dt.timedelta(days=2), first.end
    acceptor = _colleague(rotation, first.user, start, end)
    if acceptor is None:
        raise ApplicationError(f"Nobody in {rotation.name} can take over {display_name(first.user)}'s weekend.")
    approver = _approver(rotation.team, besides={first.user.pk, acceptor.pk})
    if approver is None:
        raise ApplicationError(f"{rotation.team} has no manager or lead to approve a swap.")
    swap = swap_request_create(
        requester=first.user, rotation=rotation, start=start, end=end, offered_to=acceptor,
        note="Family wedding on Saturday. I can take a day of yours in return.",
    )
    swap_request_accept(swap=swap, user=acceptor, note="Sure, I'll take the weekend.")
    swap_request_approve(swap=swap, user=approver, note="Approved. Enjoy the wedding!")
    start = second.start + dt.timedelta(days=3)  # Thursday's hand-off time
    swap_request_create(
        requester=second.user, rotation=rotation, start=start, end=start + dt.timedelta(days=1),
        note="Parent-teacher evening on Thursday; can anyone take Thursday to Friday morning?",
    )
    changes["swap request"] += 2


def _handoff_note(rotation: Rotation, now: dt.datetime, changes: Counter, *, open_incidents: str) -> None:
    current = shift_at(rotation, now)
    if current is None or HandoffNote.objects.filter(rotation=rotation, shift_start__gt=now).exists():
        return
    ongoing, scheduled = HANDOFF_NOTES.get(rotation.team.slug, ("", "Nothing scheduled."))
    handoff_note_write(
        rotation=rotation, author=current.user, open_incidents=open_incidents or "No open incidents.",
        ongoing_issues=ongoing, scheduled_changes=scheduled,
    )
    changes["hand-off note"] += 1


@transaction.atomic
def demo_schedule_changes_seed(
    *, rotations: dict[tuple[str, str], Rotation], open_incidents: dict[str, str], changes: Counter,
    now: dt.datetime | None = None,
) -> list[str]:
    """For each team's primary rotation: a blackout conflict about three weeks ahead, an approved and an open
    swap, and the outgoing on-call's hand-off note, each only while the team has none still ahead.
    Returns what could not be made and why (a schedule changed by hand may leave no room); the rest stands."""
    now = now or timezone.now()
    skipped = []
    for (slug, kind), rotation in rotations.items():
        if kind != RotationKind.PRIMARY:
            continue
        steps = (
            ("blackout", _blackout, {}),
            ("swaps", _swaps, {}),
            ("hand-off note", _handoff_note, {"open_incidents": open_incidents.get(slug, "")}),
        )
        for what, step, extra in steps:
            try:
                with transaction.atomic():  # a step that fails leaves nothing behind (it counts last)
                    step(rotation, now, changes, **extra)
            except (ApplicationError, PermissionDenied) as exc:
                skipped.append(f"{rotation.name}: no demo {what}: {exc}")
    return skipped


def demo_oncall_notes(people: DemoPeople) -> dict[str, str]:
    """username -> the demo user's on-call duty, for the printed roster."""
    users = list(people.users.values())
    kinds: dict[int, list[str]] = {}
    for user_id, kind in RotationMember.objects.filter(user__in=users).values_list("user_id", "rotation__kind"):
        kinds.setdefault(user_id, []).append(RotationKind(kind).label.lower())
    with_profile = set(OnCallProfile.objects.filter(user__in=users).values_list("user_id", flat=True))
    notes = {}
    for user in users:
        if user.pk in kinds:
            notes[user.get_username()] = " and ".join(sorted(kinds[user.pk]))
        elif user.pk in with_profile:
            notes[user.get_username()] = "not eligible yet" if missing_requirements(user) else "eligible"
    return notes
