import pytest

from incidents.models import TimelineEntry
from incidents.models.timeline import ImmutableTimelineError

pytestmark = pytest.mark.django_db


def test_timeline_entries_cannot_be_edited_or_deleted(incident):
    entry = TimelineEntry.objects.get(incident=incident)
    entry.note = "rewritten history"
    with pytest.raises(ImmutableTimelineError):
        entry.save()
    with pytest.raises(ImmutableTimelineError):
        entry.delete()
    with pytest.raises(ImmutableTimelineError):
        TimelineEntry.objects.filter(incident=incident).update(note="x")
    with pytest.raises(ImmutableTimelineError):
        TimelineEntry.objects.filter(incident=incident).delete()
    assert TimelineEntry.objects.get(pk=entry.pk).note != "rewritten history"
