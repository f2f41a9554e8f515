"""Benchmark data at the scale of issue 8 (target 2): 100,000 incidents, 1,000,000 timeline entries, 50 services,
20 teams with members, on-call profiles, rotations, overrides and blackouts, and the django-guardian grants the
services would have written (each team's groups on its services and incidents, per-incident grants to role
holders from other teams).

Other benchmarks reuse it:

    import pages_data                       # bench/ is on sys.path when a bench script runs
    world = pages_data.load()               # into the current (migrated, empty) database
    world = pages_data.load(incidents=20_000, timeline=200_000, progress=False)

Small tables go through the ORM (and the services where they keep invariants: team groups, group sync); the
big ones are bulk inserts — `bulk_create` for incidents, PostgreSQL COPY for timeline entries, roles, pages,
status updates and permission rows. The data are deterministic for a seed. Services are not spread evenly:
the first team (Platform) owns 10 of the 50, so its people see about 20% of all incidents, which gives its list
pages a page 200 and its manager a deep admin changelist; the other teams own two or three services each.

Run as a script it checks itself at a smaller scale (in a database of its own) and prints the load rates:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchkeeper python bench/pages_data.py
    BENCH_DATA_INCIDENTS=100000 BENCH_DATA_TIMELINE=1000000 python bench/pages_data.py   # full scale
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import _support

INCIDENTS = 100_000
TIMELINE = 1_000_000
SERVICES = 50
TEAMS = 20
BIG_TEAM_SERVICES = 10  # owned by the first team
MEMBERS = (  # per team: (username suffix, role)
    ("manager", "manager"), ("lead", "lead"),
    *((f"eng{n}", "engineer") for n in range(1, 9)),
    ("viewer1", "stakeholder"), ("viewer2", "stakeholder"),
)
TEAM_NAMES = (
    "Platform", "Payments", "Search", "Checkout", "Identity", "Messaging", "Mobile", "Data", "Billing", "Growth",
    "Storage", "Network", "Security", "Catalog", "Logistics", "Support Tools", "Ads", "Media", "Maps", "Edge",
)
TIME_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "America/Los_Angeles")
SERVICE_WORDS = ("api", "worker", "gateway", "db", "cache", "scheduler", "frontend", "indexer", "queue", "auth")
SYMPTOMS = (
    "5xx above 5%", "p99 latency over 2 s", "queue backlog growing", "disk 95% full", "certificate expires soon",
    "replication lag", "error budget burn", "pods crash-looping", "timeouts to upstream", "memory pressure",
    "stale cache", "login failures", "dropped webhooks", "slow queries", "health check flapping",
)
WORDS = (
    "the", "service", "returned", "errors", "after", "deploy", "customers", "reported", "checkout", "latency",
    "rolled", "back", "database", "connection", "pool", "exhausted", "retry", "storm", "upstream", "timeout",
    "dashboard", "shows", "spike", "since", "region", "failover", "cache", "invalidated", "partial", "outage",
    "mitigated", "by", "scaling", "workers", "root", "cause", "config", "change", "alert", "fired", "runbook",
    "followed", "on-call", "paged", "investigating", "traffic", "shifted", "to", "healthy", "nodes", "and",
)
SEVERITY_WEIGHTS = (("P1", 5), ("P2", 15), ("P3", 45), ("P4", 35))
EXTRA_WEIGHT = {"P1": 4.0, "P2": 2.0, "P3": 1.0, "P4": 0.5}  # how many timeline entries beyond the lifecycle
HISTORY = dt.timedelta(days=730)
RECENT_OPEN = 0.004  # the newest 0.4% of incidents are still open (about 400 of 100,000)
SME_SHARE = 0.02  # incidents with an SME from another team (a per-incident user grant)
BENCH_SME_INCIDENTS = 150  # other teams' incidents the benchmark engineer holds an SME role on
STORM_ENTRIES = 5_000  # the alert-storm incident: this many "duplicate alert" timeline entries
BATCH = 5_000


@dataclass
class World:
    """What load() made, for the benchmarks to use."""

    superuser: object
    manager: object  # manager of the big team (staff: uses the admin)
    engineer: object  # engineer of the big team, SME on some other teams' incidents
    small_engineer: object  # engineer of a small team
    teams: list = field(default_factory=list)
    services: list = field(default_factory=list)
    busy_incident_id: int = 0  # a resolved P1 of the big team with a full timeline, roles, updates and pages
    storm_incident_id: int = 0  # an open incident with STORM_ENTRIES duplicate-alert entries
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0


class _Loader:
    def __init__(self, *, incidents: int, timeline: int, services: int, teams: int, seed: int, now, progress: bool):
        self.n_incidents, self.n_timeline, self.n_services, self.n_teams = incidents, timeline, services, teams
        self.rng = random.Random(seed)
        self.now = now
        self.progress = progress

    # -- helpers -----------------------------------------------------------------------------------------------

    def _bar(self, label: str, total: int):
        if self.progress:
            return _support.Progress(label, total)

        class Quiet:
            def advance(self, n: int) -> None:
                pass

        return Quiet()

    def copy(self, model, columns: list[str], rows: Iterable[tuple], label: str, total: int) -> int:
        """COPY rows (tuples in `columns` order, field names) into the model's table."""
        from django.db import connection

        names = [model._meta.get_field(name).column for name in columns]
        bar = self._bar(label, max(total, 1))
        written = 0
        with connection.cursor() as cursor, cursor.copy(
            f'COPY "{model._meta.db_table}" ({", ".join(names)}) FROM STDIN'
        ) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
                if written % 20_000 == 0:
                    bar.advance(20_000)
        if max(total, 1) > 20_000 * (written // 20_000):
            bar.advance(max(total, 1) - 20_000 * (written // 20_000))
        return written

    def copy_objects(self, model, objects: list) -> list[int]:
        """COPY unsaved model instances (every concrete field, as save() would write it, ids taken from the
        table's sequence); returns their ids. Much faster than bulk_create, which quotes every value in Python."""
        from django.db import connection, models
        from psycopg.types.json import Jsonb

        table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]

        def converter(field):  # psycopg adapts these natively; Django's per-value preparation is the slow part
            if isinstance(field, models.JSONField):
                return lambda value: Jsonb(value)
            if isinstance(field, models.DateTimeField | models.CharField | models.TextField | models.ForeignKey |
                          models.BooleanField | models.IntegerField):
                return lambda value: value
            return lambda value: field.get_db_prep_save(value, connection)

        convert = [converter(f) for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(objects)]
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = ", ".join(['"id"', *(f'"{f.column}"' for f in fields)])
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for pk, obj in zip(ids, objects, strict=True):
                    copy.write_row([pk, *(c(f.pre_save(obj, True)) for f, c in zip(fields, convert, strict=True))])
        for pk, obj in zip(ids, objects, strict=True):
            obj.pk = pk
            obj._state.adding = False
        return ids

    def text(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(low, high))).capitalize() + "."

    # -- people, teams, on-call -------------------------------------------------------------------------------

    def people(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from oncall.models import Team, TeamMembership
        from oncall.services.teams import user_sync_groups

        user_model = get_user_model()
        password = make_password("bench-password")  # one hash for everyone
        self.superuser = user_model.objects.create(
            username="root", first_name="Ada", last_name="Admin", email="root@example.com", password=password,
            is_staff=True, is_superuser=True,
        )
        self.teams = []
        for n in range(self.n_teams):
            name = TEAM_NAMES[n] if n < len(TEAM_NAMES) else f"Team {n}"
            slug = name.lower().replace(" ", "-")
            self.teams.append(Team.objects.create(name=name, slug=slug, time_zone=TIME_ZONES[n % len(TIME_ZONES)]))
        users = [
            user_model(username=f"{team.slug}-{suffix}", first_name=suffix.capitalize(), last_name=team.name,
                       email=f"{team.slug}-{suffix}@example.com", password=password)
            for team in self.teams for suffix, _ in MEMBERS
        ]
        users = user_model.objects.bulk_create(users)
        self.members = {}  # team pk -> {suffix: user}
        memberships = []
        for t, team in enumerate(self.teams):
            self.members[team.pk] = {}
            for m, (suffix, role) in enumerate(MEMBERS):
                user = users[t * len(MEMBERS) + m]
                self.members[team.pk][suffix] = user
                memberships.append(TeamMembership(team=team, user=user, role=role))
        TeamMembership.objects.bulk_create(memberships)
        bar = self._bar("people and their groups", len(users))
        for n, user in enumerate(users, 1):  # what the membership signal does, per user
            user_sync_groups(user=user)
            if n % 20 == 0 or n == len(users):
                bar.advance(20 if n % 20 == 0 else n % 20)
        self.responders = {
            team.pk: [u for s, u in self.members[team.pk].items() if not s.startswith("viewer")] for team in self.teams
        }

    def oncall(self) -> None:
        from oncall.models import (
            Blackout,
            BlackoutReason,
            OnCallProfile,
            Override,
            Rotation,
            RotationKind,
            RotationMember,
        )

        today = self.now.date()
        OnCallProfile.objects.bulk_create(
            OnCallProfile(
                user=user, time_zone=team.time_zone, onboarded_on=today - dt.timedelta(days=400),
                shadow_shifts_completed=3, training_completed=True, production_access=True,
                webhook_url=f"https://hooks.example.com/{user.username}",
            )
            for team in self.teams for user in self.responders[team.pk]
        )
        overrides, blackouts, members = [], [], []
        for n, team in enumerate(self.teams):
            people = self.members[team.pk]
            engineers = [people[f"eng{i}"] for i in range(1, 9)]
            setups = (
                (RotationKind.PRIMARY, engineers[:6], dt.timedelta(days=7)),
                (RotationKind.SECONDARY, [people["lead"], people["manager"], *engineers[6:]], dt.timedelta(days=14)),
            )
            for kind, who, length in setups:
                rotation = Rotation.objects.create(
                    team=team, name=kind.label, kind=kind, shift_length=length, handoff_weekday=n % 5,
                    start_date=today - dt.timedelta(weeks=60),
                )
                members += [RotationMember(rotation=rotation, user=u, position=p) for p, u in enumerate(who)]
                # A year of past overrides (a few per month), one covering now in every other rotation, two ahead.
                for week in range(-52, 3, 2):
                    if week == 0 and n % 2:
                        continue
                    start = self.now + dt.timedelta(weeks=week, hours=self.rng.randint(-48, 48))
                    if week == 0:
                        start = self.now - dt.timedelta(hours=3)
                    overrides.append(Override(
                        rotation=rotation, user=self.rng.choice(who), start=start,
                        end=start + dt.timedelta(hours=self.rng.choice((4, 8, 24))), reason="Covering",
                    ))
            for user in self.responders[team.pk]:  # past vacations and one ahead for some
                for k in range(4):
                    start = self.now - dt.timedelta(days=90 * k + self.rng.randint(5, 60))
                    blackouts.append(Blackout(user=user, start=start, end=start + dt.timedelta(days=5),
                                              reason=BlackoutReason.VACATION))
                if self.rng.random() < 0.3:
                    start = self.now + dt.timedelta(days=self.rng.randint(3, 30))
                    blackouts.append(Blackout(user=user, start=start, end=start + dt.timedelta(days=3),
                                              reason=BlackoutReason.PERSONAL))
        RotationMember.objects.bulk_create(members)
        Override.objects.bulk_create(overrides)
        Blackout.objects.bulk_create(blackouts)
        self.counts["overrides"] = len(overrides)
        self.counts["blackouts"] = len(blackouts)

    def services(self) -> None:
        from incidents.models import Service, ServiceGroupObjectPermission
        from incidents.services.permissions import _grants  # the grants service_create writes, in bulk

        owners = [self.teams[0]] * min(BIG_TEAM_SERVICES, self.n_services)
        rest = self.teams[1:] or self.teams
        owners += [rest[i % len(rest)] for i in range(self.n_services - len(owners))]
        self.service_list = Service.objects.bulk_create(
            Service(
                team=team, name=f"{team.name} {SERVICE_WORDS[i % len(SERVICE_WORDS)]} {i}",
                slug=f"{team.slug}-{SERVICE_WORDS[i % len(SERVICE_WORDS)]}-{i}",
                description=self.text(10, 30), runbook="## Steps\n\n" + "\n".join(
                    f"{k}. {self.text(8, 20)}" for k in range(1, 8)),
                runbook_url=f"https://wiki.example.com/runbooks/{i}",
            )
            for i, team in enumerate(owners)
        )
        grants = {team.pk: _grants(team, "service", Service) for team in self.teams}
        ServiceGroupObjectPermission.objects.bulk_create(
            ServiceGroupObjectPermission(group_id=group_id, permission=perm, content_object=service)
            for service in self.service_list for group_id, perm in grants[service.team_id]
        )
        self.team_of = {s.pk: s.team for s in self.service_list}

    # -- incidents and what hangs off them ----------------------------------------------------------------------

    def incidents(self) -> None:
        from incidents.models import Incident, IncidentSource, IncidentState, SeverityPolicy
        from oncall.models import EscalationPolicy

        policies = {p.severity: p for p in SeverityPolicy.objects.all()}
        snapshots = {p.team_id: (p.name, p.snapshot()) for p in EscalationPolicy.objects.filter(is_default=True)}
        severities, weights = zip(*SEVERITY_WEIGHTS, strict=True)
        n = self.n_incidents
        open_from = n - max(1, int(n * RECENT_OPEN))
        step = HISTORY / n
        S = IncidentState
        open_states = (S.DETECTED, S.ACKNOWLEDGED, S.INVESTIGATING, S.IDENTIFIED, S.RESOLVING)
        self.lifecycles = []  # per incident: (severity, team pk, [(state, at)], declared_by id)
        bar = self._bar("incidents", n)
        ids = []
        for start in range(0, n, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, n)):
                rng = self.rng
                service = self.service_list[rng.randrange(len(self.service_list))]
                if i == open_from:  # the alert storm hits the big team
                    service = self.service_list[0]
                team = self.team_of[service.pk]
                severity = rng.choices(severities, weights)[0]
                policy = policies[severity]
                detected = self.now - HISTORY + step * i + dt.timedelta(seconds=rng.randint(-600, 600))
                detected = min(detected, self.now - dt.timedelta(minutes=2))
                responders = self.responders[team.pk]
                kind = rng.random()
                source = IncidentSource.MANUAL if kind < 0.6 else IncidentSource.API if kind < 0.7 else \
                    IncidentSource.INTEGRATION
                declared_by = None if source == IncidentSource.INTEGRATION else rng.choice(responders)
                if i == open_from:  # the alert-storm incident: open, fed by an integration
                    source, declared_by, severity = IncidentSource.INTEGRATION, None, "P2"
                if i >= open_from:
                    state = open_states[0] if i == open_from else rng.choice((*open_states, S.RESOLVED))
                else:
                    state = S.RESOLVED if rng.random() < 0.08 else S.CLOSED
                stamps = {S.DETECTED: detected}
                at = detected
                path = [S.ACKNOWLEDGED, S.INVESTIGATING, S.IDENTIFIED, S.RESOLVING, S.RESOLVED, S.CLOSED]
                target = path.index(state) if state in path else -1
                quick = rng.random() < 0.1  # resolved straight after acknowledging (noise, false alarms)
                for k, step_state in enumerate(path[: target + 1]):
                    if quick and step_state in (S.INVESTIGATING, S.IDENTIFIED, S.RESOLVING):
                        continue
                    gaps = (20, 10, 120, 60, 120, 72 * 60)
                    at = at + dt.timedelta(minutes=rng.uniform(0.5, gaps[k]))
                    stamps[step_state] = min(at, self.now - dt.timedelta(seconds=30))
                acked = stamps.get(S.ACKNOWLEDGED)
                deadline = detected + policy.ack_target if policy.ack_target else None
                late = deadline is not None and (acked > deadline if acked else deadline < self.now)
                breached = deadline if late else None
                is_open = state in open_states
                policy_name, snapshot = snapshots.get(team.pk, ("", []))
                title = f"{service.name}: {rng.choice(SYMPTOMS)}"
                rows.append(Incident(
                    title=title, description=self.text(50, 250), service=service, severity=severity, state=state,
                    dedup_key=f"{service.slug}:alert-{i}" if source == IncidentSource.INTEGRATION else None,
                    source=source, war_room=f"#incident-{detected:%Y-%m-%d}-{i}",
                    impact_started_at=detected - dt.timedelta(minutes=rng.randint(0, 30)) if rng.random() < 0.5
                    else None,
                    detected_at=detected, acknowledged_at=acked, investigating_at=stamps.get(S.INVESTIGATING),
                    identified_at=stamps.get(S.IDENTIFIED), resolving_at=stamps.get(S.RESOLVING),
                    resolved_at=stamps.get(S.RESOLVED), closed_at=stamps.get(S.CLOSED), ack_deadline=deadline,
                    ack_breached_at=breached,
                    next_update_due_at=self.now + policy.update_cadence if is_open and acked and policy.update_cadence
                    else None,
                    escalation_policy_name=policy_name, escalation_snapshot=snapshot, escalation_started_at=detected,
                    next_escalation_at=detected + dt.timedelta(minutes=5) if state == S.DETECTED else None,
                    escalation_ended_at=acked or stamps.get(S.RESOLVED),
                    resolution_summary=self.text(20, 60) if state in (S.RESOLVED, S.CLOSED) else "",
                    false_alarm=rng.random() < 0.03, declared_by=declared_by,
                    acknowledged_by=rng.choice(responders) if acked else None,
                ))
                order = sorted(stamps.items(), key=lambda item: item[1])
                self.lifecycles.append((severity, team.pk, order, declared_by.pk if declared_by else None))
            ids += self.copy_objects(Incident, rows)
            bar.advance(len(rows))
        self.incident_ids = ids
        self.storm_index = open_from
        # The busy incident: the newest resolved-or-closed P1 of the big team, before the open ones.
        big = self.teams[0].pk
        self.busy_index = next(
            (k for k in range(open_from - 1, -1, -1) if self.lifecycles[k][0] == "P1" and self.lifecycles[k][1] == big),
            0,
        )

    def grants(self) -> None:
        from incidents.models import Incident, IncidentGroupObjectPermission
        from incidents.services.permissions import _grants  # the grants incident_declare writes, in bulk

        grants = {team.pk: [(g, p.pk) for g, p in _grants(team, "incident", Incident)] for team in self.teams}
        rows = (
            (perm, group, pk)
            for pk, (_, team, _, _) in zip(self.incident_ids, self.lifecycles, strict=True)
            for group, perm in grants[team]
        )
        total = sum(len(grants[life[1]]) for life in self.lifecycles)
        self.counts["incident group grants"] = self.copy(
            IncidentGroupObjectPermission, ["permission", "group", "content_object"], rows, "team grants", total
        )

    def roles(self) -> None:
        """Commanders and leads on the serious incidents; SMEs from other teams (with the per-incident grants
        incident_assign_role writes for them) on a few, among them the benchmark engineer."""
        from django.contrib.auth.models import Permission

        from incidents.models import IncidentUserObjectPermission, RoleAssignment

        view, change = (Permission.objects.get(content_type__app_label="incidents", codename=c).pk
                        for c in ("view_incident", "change_incident"))
        outsiders = [u for team in self.teams for u in self.responders[team.pk]]
        bench_engineer = self.members[self.teams[0].pk]["eng1"]
        others = [k for k, life in enumerate(self.lifecycles) if life[1] != self.teams[0].pk]
        bench_sme = set(self.rng.sample(others, min(BENCH_SME_INCIDENTS, len(others))))
        assignments, user_grants = [], []
        self.extra_entries = {}  # incident index -> [(kind, actor, note, data)]
        for k, (severity, team, order, _) in enumerate(self.lifecycles):
            pk = self.incident_ids[k]
            detected = order[0][1]
            responders = self.responders[team]
            roles = []
            if severity in ("P1", "P2") or self.rng.random() < 0.3:
                roles.append("commander")
            if severity == "P1":
                roles += ["tech_lead", "comms_lead", "scribe"]
            people = self.rng.sample(responders, len(roles))
            for role, user in zip(roles, people, strict=True):
                assignments.append((pk, role, user.pk, user.pk, detected + dt.timedelta(minutes=3), None))
            smes = []
            if k in bench_sme:
                smes.append(bench_engineer)
            elif self.rng.random() < SME_SHARE:
                candidate = self.rng.choice(outsiders)
                if candidate not in responders:
                    smes.append(candidate)
            for user in smes:
                assignments.append((pk, "sme", user.pk, people[0].pk if people else None,
                                    detected + dt.timedelta(minutes=10), None))
                user_grants += [(view, user.pk, pk), (change, user.pk, pk)]
        self.counts["role assignments"] = self.copy(
            RoleAssignment, ["incident", "role", "user", "assigned_by", "assigned_at", "relieved_at"],
            assignments, "role assignments", len(assignments),
        )
        self.counts["incident user grants"] = self.copy(
            IncidentUserObjectPermission, ["permission", "user", "content_object"], user_grants, "SME grants",
            len(user_grants),
        )

    def updates_and_pages(self) -> None:
        from psycopg.types.json import Jsonb

        from incidents.models import Page, StatusUpdate

        updates, pages = [], []
        for k, (severity, team, order, _) in enumerate(self.lifecycles):
            if severity not in ("P1", "P2"):
                continue
            pk = self.incident_ids[k]
            detected, last = order[0][1], order[-1][1]
            responders = self.responders[team]
            for u in range(self.rng.randint(1, 4)):
                at = detected + (last - detected) * (u + 1) / 5
                audience = "external" if u == 0 and severity == "P1" else "internal"
                updates.append((pk, audience, self.text(15, 60), order[min(u, len(order) - 1)][0],
                                self.rng.choice(responders).pk, at))
            person = responders[2]
            pages.append((pk, "escalation", 1, 1, "Primary on-call",
                          Jsonb([{"id": person.pk, "name": person.get_full_name()}]), detected, detected, None, ""))
        self.counts["status updates"] = self.copy(
            StatusUpdate, ["incident", "audience", "body", "state", "posted_by", "posted_at"], updates,
            "status updates", len(updates),
        )
        self.counts["pages"] = self.copy(
            Page, ["incident", "kind", "cycle", "level", "target_label", "recipients", "due_at", "paged_at",
                   "paged_by", "note"], pages, "pages", len(pages),
        )

    def timeline(self) -> None:
        """Every lifecycle step, then notes, status updates, pages and duplicate alerts up to the total; the
        storm incident takes STORM_ENTRIES duplicates."""
        from psycopg.types.json import Jsonb

        from incidents.models import TimelineEntry

        base = sum(len(order) for _, _, order, _ in self.lifecycles)
        storm = min(STORM_ENTRIES, max(0, self.n_timeline - base))
        budget = max(0, self.n_timeline - base - storm)
        weights = [EXTRA_WEIGHT[life[0]] for life in self.lifecycles]
        scale = budget / sum(weights) if weights else 0
        extras = [int(w * scale) for w in weights]
        for k in self.rng.sample(range(len(extras)), min(len(extras), budget - sum(extras))):
            extras[k] += 1
        extras[self.storm_index] += storm
        empty = Jsonb({})

        def rows():
            rng = self.rng
            for k, (severity, team, order, declared_by) in enumerate(self.lifecycles):
                pk = self.incident_ids[k]
                responders = self.responders[team]
                previous = None
                for state, at in order:
                    if previous is None:
                        yield (pk, "declared", declared_by, at, "", str(state), f"Declared as {severity}.", empty)
                    else:
                        yield (pk, "transition", rng.choice(responders).pk, at, str(previous), str(state), "", empty)
                    previous = state
                start, end = order[0][1], order[-1][1] if len(order) > 1 else self.now
                span = (end - start).total_seconds() or 60.0
                for e in range(extras[k]):
                    at = start + dt.timedelta(seconds=span * (e + 1) / (extras[k] + 1))
                    if k == self.storm_index:
                        yield (pk, "deduplicated", None, at, "", "", "Another alert with the same dedup key.", empty)
                        continue
                    roll = rng.random()
                    if roll < 0.55:
                        yield (pk, "note", rng.choice(responders).pk, at, "", "", self.text(5, 40), empty)
                    elif roll < 0.75:
                        yield (pk, "status_update", rng.choice(responders).pk, at, "", "", self.text(10, 40),
                               Jsonb({"audience": "internal"}))
                    elif roll < 0.9:
                        yield (pk, "deduplicated", None, at, "", "", "Another alert with the same dedup key.", empty)
                    else:
                        yield (pk, "escalation", None, at, "", "", "Level 2: secondary on-call paged.",
                               Jsonb({"level": 2, "recipients": [responders[-1].pk]}))

        total = base + sum(extras)
        self.counts["timeline entries"] = self.copy(
            TimelineEntry, ["incident", "kind", "actor", "at", "from_state", "to_state", "note", "data"], rows(),
            "timeline entries", total,
        )


def load(
    *, incidents: int = INCIDENTS, timeline: int = TIMELINE, services: int = SERVICES, teams: int = TEAMS,
    seed: int = 8, now: dt.datetime | None = None, progress: bool = True, analyze: bool = True,
) -> World:
    """Fill the current database (migrated, without data) and return what the benchmarks need. Ends with
    VACUUM ANALYZE, so plans and index-only scans look like a database autovacuum has kept up with."""
    from django.db import connection
    from django.utils import timezone

    started = time.monotonic()
    loader = _Loader(incidents=incidents, timeline=timeline, services=services, teams=teams, seed=seed,
                     now=now or timezone.now(), progress=progress)
    loader.counts = {}
    loader.people()
    loader.oncall()
    loader.services()
    loader.incidents()
    loader.grants()
    loader.roles()
    loader.updates_and_pages()
    loader.timeline()
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    big, small = loader.teams[0].pk, loader.teams[min(1, len(loader.teams) - 1)].pk
    return World(
        superuser=loader.superuser,
        manager=loader.members[big]["manager"],
        engineer=loader.members[big]["eng1"],
        small_engineer=loader.members[small]["eng1"],
        teams=loader.teams,
        services=loader.service_list,
        busy_incident_id=loader.incident_ids[loader.busy_index],
        storm_incident_id=loader.incident_ids[loader.storm_index],
        counts={"incidents": len(loader.incident_ids), "teams": len(loader.teams),
                "services": len(loader.service_list), "users": 1 + len(loader.teams) * len(MEMBERS), **loader.counts},
        seconds=time.monotonic() - started,
    )


def remember(world: World) -> None:
    """Note what `world` is in the database itself (its comment), so a kept database can be measured again."""
    import json

    from django.db import connection

    ids = {
        "superuser": world.superuser.pk, "manager": world.manager.pk, "engineer": world.engineer.pk,
        "small_engineer": world.small_engineer.pk, "teams": [t.pk for t in world.teams],
        "services": [s.pk for s in world.services], "busy_incident_id": world.busy_incident_id,
        "storm_incident_id": world.storm_incident_id, "counts": world.counts,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [json.dumps(ids)])


def recall() -> World:
    """The world remember() noted in the current database."""
    import json

    from django.contrib.auth import get_user_model
    from django.db import connection

    from incidents.models import Service
    from oncall.models import Team

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        ids = json.loads(cursor.fetchone()[0])
    users = get_user_model().objects.in_bulk([ids[k] for k in ("superuser", "manager", "engineer", "small_engineer")])
    teams, services = Team.objects.in_bulk(ids["teams"]), Service.objects.in_bulk(ids["services"])
    return World(
        superuser=users[ids["superuser"]], manager=users[ids["manager"]], engineer=users[ids["engineer"]],
        small_engineer=users[ids["small_engineer"]], teams=[teams[pk] for pk in ids["teams"]],
        services=[services[pk] for pk in ids["services"]], busy_incident_id=ids["busy_incident_id"],
        storm_incident_id=ids["storm_incident_id"], counts=ids["counts"],
    )


def check(world: World) -> list[str]:
    """What the generator promises, checked against the database and guardian's own answers."""
    from guardian.shortcuts import get_objects_for_user

    from incidents.models import Incident, TimelineEntry

    problems = []
    counts = world.counts
    if Incident.objects.count() != counts["incidents"]:
        problems.append("incident count")
    if TimelineEntry.objects.count() != counts["timeline entries"]:
        problems.append("timeline count")
    big_team = world.teams[0]
    theirs = Incident.objects.filter(service__team=big_team).count()
    seen = get_objects_for_user(world.engineer, "incidents.view_incident", Incident, accept_global_perms=False)
    sme = Incident.objects.exclude(service__team=big_team).filter(
        role_assignments__user=world.engineer, role_assignments__role="sme").count()
    if seen.count() != theirs + sme:
        problems.append(f"engineer sees {seen.count()}, expected {theirs} + {sme} SME incidents")
    if not sme:
        problems.append("the engineer holds no SME role on another team's incident")
    from incidents.selectors import incidents_visible_to

    for user in (world.engineer, world.manager, world.small_engineer):
        ours = set(incidents_visible_to(user).values_list("pk", flat=True))
        guardians = set(get_objects_for_user(user, "incidents.view_incident", Incident, accept_global_perms=False)
                        .values_list("pk", flat=True))
        if ours != guardians:
            problems.append(f"incidents_visible_to({user.username}) differs from guardian's answer")
    if TimelineEntry.objects.filter(incident_id=world.storm_incident_id).count() < STORM_ENTRIES // 2:
        problems.append("the storm incident has too few entries")
    return problems


def main() -> None:
    incidents = int(os.environ.get("BENCH_DATA_INCIDENTS", 10_000))
    timeline = int(os.environ.get("BENCH_DATA_TIMELINE", incidents * 10))
    url = _support.bench_database("bench_pages_data")
    _support.django_setup()
    try:
        _support.heading(f"loading {incidents:,} incidents and {timeline:,} timeline entries (bench/pages_data.py)")
        world = load(incidents=incidents, timeline=timeline)
        print(f"loaded in {world.seconds:.1f} s")
        for name, count in world.counts.items():
            print(f"  {name:<24} {count:>10,}")
        problems = check(world)
        print("checks: " + ("ok" if not problems else "; ".join(problems)))
        if problems:
            raise SystemExit(1)
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            _support.drop_database(url)


if __name__ == "__main__":
    main()
