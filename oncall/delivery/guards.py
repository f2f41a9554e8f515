"""Last-moment checks before a notification goes out, registered by apps that build on oncall.

Incidents registers "a page for an escalation that has since been acknowledged is not sent", so oncall never
imports incidents. A guard returns None when the message should go, or the reason it should not; the row is
then marked cancelled with that reason.
"""

from collections.abc import Callable

Guard = Callable[["object"], str | None]
_guards: list[Guard] = []


def register(guard: Guard) -> Guard:
    if guard not in _guards:
        _guards.append(guard)
    return guard


def reason_not_to_send(notification) -> str | None:
    for guard in _guards:
        reason = guard(notification)
        if reason:
            return reason
    return None
