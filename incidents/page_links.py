"""Links other apps add to the incident page (the post-mortem, for one), registered in their AppConfig.ready,
so incidents never imports the apps that build on it. A provider returns (label, url) pairs for a user."""

from collections.abc import Callable, Iterable

LinkProvider = Callable[[object, object], Iterable[tuple[str, str]]]
_providers: list[LinkProvider] = []


def register(provider: LinkProvider) -> LinkProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def links_for(incident, user) -> list[tuple[str, str]]:
    return [link for provider in _providers for link in provider(incident, user)]
