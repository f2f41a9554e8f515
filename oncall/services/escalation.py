import datetime as dt

from django.db import transaction

from oncall.models import EscalationLevel, EscalationPolicy, EscalationTarget, Team, TeamRole

DEFAULT_POLICY_NAME = "Default (incident management guide)"

# The guide: primary 0-5 min, secondary 5-15, team lead 15-30, engineering manager 30-60,
# VP Engineering 60+ and P1 only. "Leadership" targets profiles flagged is_leadership.
DEFAULT_LEVELS = (
    {"delay": dt.timedelta(minutes=0), "target_kind": EscalationTarget.PRIMARY},
    {"delay": dt.timedelta(minutes=5), "target_kind": EscalationTarget.SECONDARY},
    {"delay": dt.timedelta(minutes=15), "target_kind": EscalationTarget.TEAM_ROLE, "target_role": TeamRole.LEAD},
    {"delay": dt.timedelta(minutes=30), "target_kind": EscalationTarget.TEAM_ROLE, "target_role": TeamRole.MANAGER},
    {"delay": dt.timedelta(minutes=60), "target_kind": EscalationTarget.LEADERSHIP, "only_severities": ["P1"]},
)


@transaction.atomic
def escalation_policy_seed_default(*, team: Team) -> EscalationPolicy:
    """Give `team` the guide's default escalation policy. Idempotent: an existing policy of that name is
    returned untouched (managers' edits survive). It becomes the team's default if it has none."""
    policy = EscalationPolicy.objects.filter(team=team, name=DEFAULT_POLICY_NAME).first()
    if policy is not None:
        return policy
    has_default = EscalationPolicy.objects.filter(team=team, is_default=True).exists()
    policy = EscalationPolicy.objects.create(team=team, name=DEFAULT_POLICY_NAME, is_default=not has_default)
    EscalationLevel.objects.bulk_create(
        EscalationLevel(policy=policy, position=position, **level)
        for position, level in enumerate(DEFAULT_LEVELS, start=1)
    )
    return policy
