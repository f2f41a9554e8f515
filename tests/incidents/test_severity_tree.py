"""The guide's severity decision tree, branch by branch, and the declare form's walk over it."""

import itertools

import pytest

from incidents.forms import tree_outcomes, tree_walk
from incidents.severity_tree import QUESTIONS, TriageAnswers, severity_from_answers

NAMES = [name for name, _ in QUESTIONS]


def answers(*values: bool) -> TriageAnswers:
    """Answers in the guide's order; questions after the deciding one are filled with every combination."""
    return TriageAnswers(**dict(zip(NAMES, values, strict=True)))


def completions(prefix: tuple[bool, ...]):
    for rest in itertools.product((True, False), repeat=len(NAMES) - len(prefix)):
        yield answers(*prefix, *rest)


YES, NO = True, False

# (answers along the path, severity): one row per branch of the guide's tree.
BRANCHES = [
    pytest.param((YES,), "P1", id="service completely down -> P1"),
    pytest.param((NO, YES), "P2", id="multiple users blocked from critical tasks -> P2"),
    pytest.param((NO, NO, NO), "P2", id="no workaround -> P2"),
    pytest.param((NO, NO, YES, YES), "P2", id="revenue or security -> P2"),
    pytest.param((NO, NO, YES, NO, YES), "P3", id="only a few users -> P3"),
    pytest.param((NO, NO, YES, NO, NO, YES), "P4", id="cosmetic or minor -> P4"),
    pytest.param((NO, NO, YES, NO, NO, NO), "P3", id="past the guide's last question -> P3"),
]


@pytest.mark.parametrize(("path", "expected"), BRANCHES)
def test_every_branch_of_the_guide(path, expected):
    # Whatever the later questions would have said, the branch decides.
    assert {severity_from_answers(a) for a in completions(path)} == {expected}


def test_questions_follow_the_guide_in_order():
    assert [question for _, question in QUESTIONS] == [
        "Is the service completely down?",
        "Are multiple users unable to complete critical tasks?",
        "Is there a workaround available?",
        "Does it affect revenue or security?",
        "Are only a few users affected?",
        "Is it a cosmetic or minor issue?",
    ]


def test_the_forms_map_decides_exactly_at_the_guides_leaves():
    outcomes = tree_outcomes()
    decided = {prefix: severity for prefix, severity in outcomes.items() if severity}
    # Shortest deciding prefixes are the guide's branches; longer ones only extend them.
    minimal = {p: s for p, s in decided.items() if not any(p.startswith(q) and p != q for q in decided)}
    assert minimal == {"y": "P1", "ny": "P2", "nnn": "P2", "nnyy": "P2", "nnyny": "P3", "nnynny": "P4",
                       "nnynnn": "P3"}
    assert [p for p, s in outcomes.items() if not s] == ["", "n", "nn", "nny", "nnyn", "nnynn"]


@pytest.mark.parametrize(("path", "expected"), BRANCHES)
def test_walk_stops_at_the_deciding_answer_and_ignores_the_rest(path, expected):
    given = dict(zip(NAMES, path, strict=False))
    assert tree_walk(given) == (expected, None)
    # Contradictory answers to later questions change nothing.
    later = {name: True for name in NAMES[len(path):]}
    assert tree_walk({**later, **given}) == (expected, None)


def test_walk_names_the_next_question_to_answer():
    assert tree_walk({}) == (None, "service_down")
    assert tree_walk({"service_down": False}) == (None, "many_users_blocked")
    assert tree_walk({"service_down": False, "many_users_blocked": False, "workaround_available": None}) == (
        None, "workaround_available"
    )
    # A later answer does not stand in for a missing earlier one.
    assert tree_walk({"service_down": False, "cosmetic": True}) == (None, "many_users_blocked")
