import secrets

from django.conf import settings
from django.db import models

from oncall.models.team import validate_time_zone


def new_feed_token() -> str:
    """An unguessable token for a calendar URL (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    """The secret receivers use to verify that a webhook call came from Watchkeeper."""
    return secrets.token_hex(32)


class OnCallProfile(models.Model):
    """How to reach someone, and the guide's facts that decide whether they may go on call."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_profile")
    email = models.EmailField(blank=True, help_text="Where pages go; the account's address when blank.")
    webhook_url = models.URLField(blank=True, help_text="A chat incoming webhook, for example.")
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    onboarded_on = models.DateField(null=True, blank=True)
    shadow_shifts_completed = models.PositiveSmallIntegerField(default=0)
    training_completed = models.BooleanField(default=False, help_text="Incident-response training.")
    production_access = models.BooleanField(default=False)
    is_leadership = models.BooleanField(
        default=False, help_text="Paged by the “leadership” escalation level (the guide's VP Engineering)."
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "on-call profile"

    def __str__(self) -> str:
        return f"On-call profile of {self.user}"

    @property
    def contact_email(self) -> str:
        return self.email or self.user.email
