from oncall.models import Team


def team_schedule_lock(team_id: int) -> Team:
    """Serialize changes to one team's schedule (members, overrides, approvals) until the transaction ends.

    Double booking spans both of a team's rotations, so per-row locks on a rotation cannot rule it out;
    the team row can. FOR NO KEY UPDATE leaves inserts that reference the team unblocked.
    """
    return Team.objects.select_for_update(no_key=True).get(pk=team_id)
