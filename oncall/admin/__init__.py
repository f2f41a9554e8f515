"""Admin for managers: teams, profiles, rotations, blackouts, overrides, swaps, escalation policies and the
notification outbox, each filtered to the teams the manager manages (superusers see all)."""

from oncall.admin import escalation, notifications, profiles, rotations, schedule_changes, swaps, teams

__all__ = ["escalation", "notifications", "profiles", "rotations", "schedule_changes", "swaps", "teams"]
