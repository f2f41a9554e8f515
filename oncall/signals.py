"""Keep permission groups in step with memberships however they change (services or admin inlines)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from oncall.models import TeamMembership


@receiver([post_save, post_delete], sender=TeamMembership)
def sync_member_groups(sender, instance: TeamMembership, **kwargs) -> None:
    from oncall.services import user_sync_groups

    # A membership deleted together with its user leaves nothing to sync.
    if get_user_model().objects.filter(pk=instance.user_id).exists():
        user_sync_groups(user=instance.user)
