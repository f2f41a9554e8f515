import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

TOKEN_MARK = "wk_"
PREFIX_LENGTH = 12


def token_digest(raw: str) -> str:
    """sha256 of the whole token. Tokens carry 256 random bits, so a fast unsalted hash is enough: nobody
    can guess a preimage, and the lookup needs no per-row work factor."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A personal API token: `wk_<prefix>_<secret>`. Only the prefix (to find the row) and the digest of
    the whole token are stored; the token itself is shown once, when it is created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “deploy script”.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                                   name="apitoken_revoked_after_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_MARK}{self.prefix}…) of {self.user}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def hint(self) -> str:
        """What lists show instead of the secret."""
        return f"{TOKEN_MARK}{self.prefix}_…"
