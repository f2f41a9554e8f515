"""Reactions to model changes that must happen however the change is made (services, admin, shell)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from oncall.models import Team, TeamMembership


@receiver([post_save, post_delete], sender=TeamMembership)
def sync_member_groups(sender, instance: TeamMembership, **kwargs) -> None:
    """Keep permission groups in step with memberships (services or admin inlines alike)."""
    from oncall.services import user_sync_groups

    # A membership deleted together with its user leaves nothing to sync.
    if get_user_model().objects.filter(pk=instance.user_id).exists():
        user_sync_groups(user=instance.user)


@receiver(post_save, sender=Team)
def seed_default_escalation_policy(sender, instance: Team, created: bool, raw: bool = False, **kwargs) -> None:
    """A new team starts with the guide's escalation policy, so its services page someone from day one."""
    if not created or raw:  # raw: loading a fixture, which brings its own policies
        return
    from oncall.services import escalation_policy_seed_default

    escalation_policy_seed_default(team=instance)
