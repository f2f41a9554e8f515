"""Extra conditions for closing an incident, registered by apps that build on incidents.

The post-mortems app registers "a P1/P2 needs its post-mortem published" here, so incidents never
imports postmortems. A check returns None when closing is fine, or the reason it is not.
"""

from collections.abc import Callable

CloseCheck = Callable[["object"], str | None]
_checks: list[CloseCheck] = []


def register(check: CloseCheck) -> CloseCheck:
    if check not in _checks:
        _checks.append(check)
    return check


def reasons_not_to_close(incident) -> list[str]:
    return [reason for check in _checks if (reason := check(incident))]
