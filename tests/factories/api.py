from rest_framework.test import APIClient

from oncall.services import api_token_create


def api_token(user, name: str = "test script") -> str:
    """A fresh personal API token of `user` (the text, as shown once)."""
    _, raw = api_token_create(user=user, name=name)
    return raw


def api_client(user=None, *, token: str | None = None) -> APIClient:
    """A client sending `Authorization: Bearer …` for `user` (or the given token); anonymous without either."""
    client = APIClient()
    if user is not None and token is None:
        token = api_token(user)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
