"""Give every existing team the guide's default escalation policy (new teams: escalation_policy_seed_default)."""

import datetime

from django.db import migrations

NAME = "Default (incident management guide)"
LEVELS = (
    (0, "primary", "", []),
    (5, "secondary", "", []),
    (15, "team_role", "lead", []),
    (30, "team_role", "manager", []),
    (60, "leadership", "", ["P1"]),
)


def seed(apps, schema_editor):
    Team = apps.get_model("oncall", "Team")
    EscalationPolicy = apps.get_model("oncall", "EscalationPolicy")
    EscalationLevel = apps.get_model("oncall", "EscalationLevel")
    for team in Team.objects.all():
        if EscalationPolicy.objects.filter(team=team, name=NAME).exists():
            continue
        has_default = EscalationPolicy.objects.filter(team=team, is_default=True).exists()
        policy = EscalationPolicy.objects.create(team=team, name=NAME, is_default=not has_default)
        for position, (minutes, kind, role, severities) in enumerate(LEVELS, start=1):
            EscalationLevel.objects.create(
                policy=policy, position=position, delay=datetime.timedelta(minutes=minutes),
                target_kind=kind, target_role=role, only_severities=severities,
            )


class Migration(migrations.Migration):
    dependencies = [("oncall", "0002_rotations_swaps_escalation")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
