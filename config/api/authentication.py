"""Personal API tokens: `Authorization: Bearer wk_…`. Browsers use the session instead."""

from rest_framework import authentication, exceptions

from oncall.services import api_token_authenticate

MALFORMED = "Malformed Authorization header: send “Authorization: Bearer <token>”."


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # another scheme: not ours to judge; the request is then unauthenticated (401)
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED)
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(MALFORMED) from exc
        token = api_token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Also makes DRF answer 401 (not 403) to unauthenticated requests, since this class comes first.
        return 'Bearer realm="api"'
