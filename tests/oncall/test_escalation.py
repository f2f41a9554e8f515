"""Escalation policies: the guide's default, snapshots that incidents freeze, and who each level pages."""

import datetime as dt
import importlib
import json

import pytest
from django.apps import apps
from django.db import IntegrityError

from oncall.models import EscalationLevel, EscalationPolicy, EscalationTarget, OnCallProfile, TeamRole
from oncall.selectors import escalation_levels_for, escalation_policy_default, escalation_targets
from oncall.services import DEFAULT_POLICY_NAME, escalation_policy_seed_default
from tests.factories.oncall import TeamFactory, member
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db


def test_the_default_policy_follows_the_guide(team):
    policy = escalation_policy_seed_default(team=team)
    levels = [
        (lv.position, lv.delay, lv.target_kind, lv.target_role, lv.only_severities)
        for lv in policy.levels.order_by("position")
    ]
    assert levels == [
        (1, dt.timedelta(0), EscalationTarget.PRIMARY, "", []),
        (2, dt.timedelta(minutes=5), EscalationTarget.SECONDARY, "", []),
        (3, dt.timedelta(minutes=15), EscalationTarget.TEAM_ROLE, TeamRole.LEAD, []),
        (4, dt.timedelta(minutes=30), EscalationTarget.TEAM_ROLE, TeamRole.MANAGER, []),
        (5, dt.timedelta(minutes=60), EscalationTarget.LEADERSHIP, "", ["P1"]),
    ]
    assert escalation_policy_default(team) == policy


def test_seeding_is_idempotent_and_keeps_managers_edits(team):
    policy = escalation_policy_seed_default(team=team)
    policy.levels.filter(position=2).update(delay=dt.timedelta(minutes=10))
    assert escalation_policy_seed_default(team=team) == policy
    assert policy.levels.count() == 5 and policy.levels.get(position=2).delay == dt.timedelta(minutes=10)


def test_the_data_migration_seeds_existing_teams(team):
    migration = importlib.import_module("oncall.migrations.0003_seed_default_escalation_policies")
    migration.seed(apps, None)
    migration.seed(apps, None)
    policy = EscalationPolicy.objects.get(team=team)
    assert policy.name == DEFAULT_POLICY_NAME and policy.is_default and policy.levels.count() == 5


def test_the_snapshot_is_plain_json_with_rotations_resolved(team, primary, secondary):
    snapshot = escalation_policy_seed_default(team=team).snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert [(lv["delay_seconds"], lv["rotation_id"]) for lv in snapshot[:2]] == [(0, primary.pk), (300, secondary.pk)]
    assert snapshot[4] == {
        "position": 5, "delay_seconds": 3600, "target_kind": "leadership",
        "target_label": "Leadership (profiles flagged “leadership”)", "team_id": team.pk, "rotation_id": None,
        "user_id": None, "role": "", "only_severities": ["P1"],
    }


def test_a_snapshot_is_unaffected_by_later_edits(team, primary, people):
    policy = escalation_policy_seed_default(team=team)
    frozen = policy.snapshot()
    before = json.dumps(frozen)
    EscalationLevel.objects.filter(policy=policy, position=1).update(delay=dt.timedelta(minutes=2))
    EscalationLevel.objects.filter(policy=policy, position=5).delete()
    EscalationLevel.objects.create(policy=policy, position=6, delay=dt.timedelta(minutes=90),
                                   target_kind=EscalationTarget.USER, target_user=people["mona"])
    policy.name = "Renamed"
    policy.save()
    assert json.dumps(frozen) == before
    assert policy.snapshot() != frozen


def test_severity_limited_levels_apply_only_to_their_severities(team):
    snapshot = escalation_policy_seed_default(team=team).snapshot()
    assert len(escalation_levels_for(snapshot, "P1")) == 5
    assert [lv["position"] for lv in escalation_levels_for(snapshot, "P2")] == [1, 2, 3, 4]


def test_levels_page_the_on_call_the_role_and_leadership(team, primary, secondary, people):
    snapshot = escalation_policy_seed_default(team=team).snapshot()
    at = utc(2026, 3, 10)
    assert [escalation_targets(lv, at=at) for lv in snapshot[:4]] == [
        [people["paul"]], [people["sven"]], [people["lena"]], [people["mona"]],
    ]
    assert escalation_targets(snapshot[4], at=at) == [people["mona"]]  # nobody flagged: the team's managers
    vp = member(TeamFactory(), TeamRole.MANAGER, username="vp")
    OnCallProfile.objects.create(user=vp, is_leadership=True)
    assert escalation_targets(snapshot[4], at=at) == [vp]


def test_a_level_target_is_consistent_in_the_database(team):
    policy = EscalationPolicy.objects.create(team=team, name="Custom")
    with pytest.raises(IntegrityError):
        EscalationLevel.objects.create(policy=policy, position=1, delay=dt.timedelta(0),
                                       target_kind=EscalationTarget.USER)
