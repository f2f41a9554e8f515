from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition


class PostMortemState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


S = PostMortemState
EDITABLE_STATES = (S.DRAFT, S.IN_REVIEW)

# The free-text sections of the guide's post-incident review template, in the template's order. Forms,
# the save service and the exports all read this list, so a new section is added in one place.
TEXT_SECTIONS = (
    "executive_summary",
    "users_affected", "user_experience", "support_tickets",
    "revenue_impact", "error_budget_consumed", "reputation_impact", "support_cost",
    "failed_requests", "data_loss", "services_affected", "downstream_dependencies",
    "immediate_cause", "root_cause",
    "went_well_detection", "went_well_response", "went_well_recovery",
    "improve_prevention", "improve_detection", "improve_response", "improve_systemic",
    "lessons_learned",
    "supporting_data", "glossary", "related_incidents", "other_attendees",
)

ONE_PER_LINE = "One item per line."


class PostMortem(FSMModelMixin, models.Model):
    """The blameless post-incident review of one incident, section by section as in the guide's template.

    draft → in review → published; a manager may reopen a published one to draft. Every transition is
    recorded as a PostMortemEvent by the services, which also lock the row and check the guards.
    """

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="postmortem")
    title = models.CharField(max_length=255, help_text="A short name for what happened, e.g. “API Outage”.")
    state = FSMField(default=S.DRAFT, choices=PostMortemState.choices, protected=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="postmortems_owned",
        help_text="Writes the review and gets its reminders.",
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Runs the review meeting.",
    )
    review_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The guide: review within 48 hours of resolution."
    )
    review_meeting_at = models.DateTimeField(null=True, blank=True)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="postmortems_attended")
    auto_drafted = models.BooleanField(default=False, editable=False)

    executive_summary = models.TextField(blank=True)

    # Impact assessment: user, business and technical impact, as free text ("~50,000 (100%)").
    users_affected = models.CharField("affected users", max_length=255, blank=True)
    user_experience = models.TextField(blank=True)
    support_tickets = models.CharField("customer complaints", max_length=255, blank=True)
    revenue_impact = models.CharField("revenue loss", max_length=255, blank=True)
    error_budget_consumed = models.CharField("SLA / error budget", max_length=255, blank=True)
    reputation_impact = models.CharField("reputation", max_length=255, blank=True)
    support_cost = models.CharField(max_length=255, blank=True)
    failed_requests = models.CharField(max_length=255, blank=True)
    data_loss = models.CharField(max_length=255, blank=True)
    services_affected = models.CharField(max_length=255, blank=True)
    downstream_dependencies = models.CharField(max_length=255, blank=True)

    # Root cause analysis (the 5 whys and contributing factors are rows of their own).
    immediate_cause = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)

    went_well_detection = models.TextField(blank=True, help_text=ONE_PER_LINE)
    went_well_response = models.TextField(blank=True, help_text=ONE_PER_LINE)
    went_well_recovery = models.TextField(blank=True, help_text=ONE_PER_LINE)
    improve_prevention = models.TextField(blank=True, help_text=ONE_PER_LINE)
    improve_detection = models.TextField(blank=True, help_text=ONE_PER_LINE)
    improve_response = models.TextField(blank=True, help_text=ONE_PER_LINE)
    improve_systemic = models.TextField("systemic issues", blank=True, help_text=ONE_PER_LINE)

    lessons_learned = models.TextField(blank=True, help_text="One lesson per line, e.g. “**Test in staging**: …”.")

    supporting_data = models.TextField(blank=True, help_text="Links to dashboards, logs, threads; one per line.")
    glossary = models.TextField(blank=True, help_text="One term per line, e.g. “**MTTA**: Mean Time to Acknowledge”.")
    related_incidents = models.TextField(blank=True, help_text=ONE_PER_LINE)
    other_attendees = models.TextField(
        blank=True, help_text="People without an account, one per line, e.g. “Bob Wilson (Product Manager)”."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The review-overdue sweep stamps the day it reminded the owner: one reminder per day.
    review_reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "post-mortem"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=S.PUBLISHED) | Q(published_at__isnull=False), name="published_postmortem_has_date"
            ),
        ]
        # The review reminder sweep selects drafts by due time.
        indexes = [models.Index(fields=["state", "review_due_at"], name="postmortem_review_due")]

    def __str__(self) -> str:
        return f"Post-mortem of INC-{self.incident_id}: {self.title}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_published(self) -> bool:
        return self.state == S.PUBLISHED

    # Transitions change state only; the services lock, check guards, stamp times and record events.
    @transition(field=state, source=S.DRAFT, target=S.IN_REVIEW)
    def submit(self) -> None:
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.PUBLISHED)
    def publish(self) -> None:
        pass

    @transition(field=state, source=S.PUBLISHED, target=S.DRAFT)
    def reopen(self) -> None:
        pass


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Post-mortem events are append-only.")

    def delete(self):
        raise AppendOnlyError("Post-mortem events are append-only.")


class PostMortemEvent(models.Model):
    """Append-only history of a post-mortem's states: who moved it, when, from what to what, and why."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Blank when Watchkeeper acted (the automatic draft).",
    )
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, choices=PostMortemState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=PostMortemState.choices)
    note = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "at", "id"]

    def __str__(self) -> str:
        return f"Post-mortem #{self.postmortem_id}: {self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Post-mortem events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Post-mortem events are append-only.")

    @property
    def actor_name(self) -> str:
        if self.actor is None:
            return "Watchkeeper"
        return self.actor.get_full_name() or self.actor.get_username()
