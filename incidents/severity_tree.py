"""The guide's severity decision tree as one pure function."""

from dataclasses import dataclass

from incidents.models.severity import Severity


@dataclass(frozen=True)
class TriageAnswers:
    service_down: bool
    many_users_blocked: bool
    workaround_available: bool
    revenue_or_security: bool
    few_users_affected: bool
    cosmetic: bool


QUESTIONS = (
    ("service_down", "Is the service completely down?"),
    ("many_users_blocked", "Are multiple users unable to complete critical tasks?"),
    ("workaround_available", "Is there a workaround available?"),
    ("revenue_or_security", "Does it affect revenue or security?"),
    ("few_users_affected", "Are only a few users affected?"),
    ("cosmetic", "Is it a cosmetic or minor issue?"),
)


def severity_from_answers(answers: TriageAnswers) -> Severity:
    if answers.service_down:
        return Severity.P1
    if answers.many_users_blocked or not answers.workaround_available or answers.revenue_or_security:
        return Severity.P2
    if answers.few_users_affected:
        return Severity.P3
    if answers.cosmetic:
        return Severity.P4
    # The guide's tree ends without a branch here: a partial degradation with a workaround that is
    # neither few-users nor cosmetic is a medium incident.
    return Severity.P3
