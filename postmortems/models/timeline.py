from django.db import models
from django.db.models import Q


class PostMortemTimelineEntry(models.Model):
    """The post-mortem's own, editable copy of what happened. Drafted from the incident's timeline (which
    stays immutable); entries can be reworded, added, removed and flagged as key events."""

    postmortem = models.ForeignKey("postmortems.PostMortem", on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    text = models.TextField()
    is_key_event = models.BooleanField("key event", default=False)
    source_entry = models.ForeignKey(
        "incidents.TimelineEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The incident timeline entry this was copied from; blank for entries added by hand.",
    )
    source_kind = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = "post-mortem timeline entry"
        verbose_name_plural = "post-mortem timeline entries"
        ordering = ["postmortem", "at", "id"]
        constraints = [
            # Importing the incident's timeline twice copies each entry once.
            models.UniqueConstraint(
                fields=["postmortem", "source_entry"], condition=Q(source_entry__isnull=False),
                name="one_copy_per_incident_timeline_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.text[:60]}"
