"""Which ingestion view a path is for, shared by IngestionMiddleware and the WSGI handler's short lane."""

from __future__ import annotations

from django.urls import Resolver404, ResolverMatch, get_resolver, get_script_prefix, reverse

_resolver = None
_prefix: str | None = None
# Matches of the paths without a key in them (/integrations/v2/enqueue, …alertmanager/): the same every time.
_fixed: dict[str, ResolverMatch] = {}


def _ingestion_prefix() -> str:
    # Where config/urls.py includes the ingestion URLs ("/integrations/"), whatever it is.
    global _prefix
    if _prefix is None:
        # reverse() puts the current script prefix in front; paths are matched without it.
        path = reverse("ingestion:alertmanager").removesuffix("alertmanager/")
        _prefix = "/" + path.removeprefix(get_script_prefix())
    return _prefix


def ingestion_match(path_info: str) -> ResolverMatch | None:
    """The ingestion view (and its arguments) for a request path, or None for every other path."""
    global _resolver
    fixed = _fixed.get(path_info)
    if fixed is not None:
        return fixed
    prefix = _ingestion_prefix()
    if not path_info.startswith(prefix):
        return None
    if _resolver is None:
        _resolver = get_resolver("incidents.ingestion_urls")
    try:
        match = _resolver.resolve(path_info[len(prefix) - 1:])  # from the prefix's last /
    except Resolver404:
        return None
    if not match.args and not match.kwargs:
        _fixed[path_info] = match
    return match


def serve(request, match: ResolverMatch):
    """Answer `request` with the ingestion view `match` names, after the host check CommonMiddleware would make
    (DisallowedHost, a 400, for a host not in ALLOWED_HOSTS)."""
    request.get_host()
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)
