"""Personal API tokens: created and revoked by their owner, checked on every API request."""

import datetime as dt
import hmac
import re
import secrets

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.errors import ApplicationError
from oncall.models import ApiToken
from oncall.models.api_token import PREFIX_LENGTH, TOKEN_MARK, token_digest

# wk_ + 12 hex digits (the indexed lookup prefix) + _ + 43 URL-safe characters (256 random bits)
TOKEN_PATTERN = re.compile(rf"^{TOKEN_MARK}(?P<prefix>[0-9a-f]{{{PREFIX_LENGTH}}})_[A-Za-z0-9_-]{{43}}$")
# last_used_at is for people deciding which token to revoke; a minute's precision spares a write per request.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


def _new_raw_token() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with the token text, which exists nowhere else afterwards
    (only its sha256 is stored). Raises ApplicationError for a missing or over-long name or an inactive user."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Name the token after what will use it, e.g. “deploy script”.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(f"Keep the name within {NAME_MAX_LENGTH} characters.", field="name")
    if not user.is_active:
        raise ApplicationError("Inactive users cannot have API tokens.")
    for _ in range(5):  # 48-bit prefixes practically never collide; the unique index settles it if they do
        prefix, raw = _new_raw_token()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=token_digest(raw))
        except IntegrityError:
            continue
        return token, raw
    raise ApplicationError("Could not create a token; try again.")


@transaction.atomic
def api_token_revoke(*, token: ApiToken | int, user) -> ApiToken:
    """Revoke a token; requests carrying it are refused from the moment this commits. Only its owner
    (or a superuser) may. Revoking a revoked token changes nothing. Raises PermissionDenied."""
    pk = token.pk if isinstance(token, ApiToken) else token
    locked = ApiToken.objects.select_for_update().get(pk=pk)
    if locked.user_id != user.pk and not user.is_superuser:
        raise PermissionDenied("You can only revoke your own tokens.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token `raw` is, with its user loaded, or None (malformed, unknown, revoked, or its user
    is inactive). One indexed read; last_used_at is written at most once a minute, by a conditional
    update so that concurrent requests write it once."""
    match = TOKEN_PATTERN.match(raw)
    if match is None:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=match["prefix"], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, token_digest(raw)) or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - LAST_USED_PRECISION
    if token.last_used_at is None or token.last_used_at <= stale:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
