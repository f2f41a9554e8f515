"""Hand-off notes: the outgoing on-call writes the guide's checklist, the incoming one reads the last note."""

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import ApplicationError
from oncall.selectors import handoff_note_last
from oncall.services import handoff_note_write
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db
CHECKLIST = {
    "open_incidents": "INC-42 checkout latency: monitoring after rollback.",
    "ongoing_issues": "Flaky disk alerts on db-3.",
    "scheduled_changes": "Payments provider maintenance Tuesday 02:00.",
}


def test_the_outgoing_on_call_writes_the_note_for_their_handoff(primary, people):
    note = handoff_note_write(rotation=primary, author=people["pia"], **CHECKLIST)  # Pia's week ends 03-09
    assert note.shift_start == utc(2026, 3, 9, 8)
    assert handoff_note_last(primary) == note
    assert note.open_incidents.startswith("INC-42")


def test_the_incoming_on_call_sees_the_latest_note(primary, people, now):
    handoff_note_write(rotation=primary, author=people["pia"], ongoing_issues="First draft")
    latest = handoff_note_write(rotation=primary, author=people["pia"], ongoing_issues="Updated")
    assert handoff_note_last(primary) == latest


def test_only_the_outgoing_on_call_or_a_manager_writes_it(primary, people, mona):
    with pytest.raises(ApplicationError, match="not on call in Primary now"):
        handoff_note_write(rotation=primary, author=people["paul"], **CHECKLIST)
    with pytest.raises(PermissionDenied):
        handoff_note_write(rotation=primary, author=people["petra"], shift_start=utc(2026, 3, 9, 8), **CHECKLIST)
    assert handoff_note_write(rotation=primary, author=people["paul"], shift_start=utc(2026, 3, 16, 8), **CHECKLIST)
    assert handoff_note_write(rotation=primary, author=mona, shift_start=utc(2026, 3, 9, 8), **CHECKLIST)


def test_an_empty_note_is_refused(primary, people):
    with pytest.raises(ApplicationError, match="at least one item"):
        handoff_note_write(rotation=primary, author=people["pia"], open_incidents="  ")
