from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from oncall.models.rotation import Rotation


class SwapState(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted, awaiting approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


S = SwapState
LIVE_SWAP_STATES = (S.OPEN, S.ACCEPTED)


class SwapRequest(FSMModelMixin, models.Model):
    """The guide's "self-service swap with approval": a requester offers (part of) their shift.

    open → accepted (a colleague takes it) → approved (a manager or lead; creates the Override), or
    declined, cancelled (by the requester) or expired (the shift started first).
    """

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="swap_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="swaps_requested")
    start = models.DateTimeField(help_text="Start of the offered span (all or part of the requester's shift).")
    end = models.DateTimeField()
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="swaps_offered",
        help_text="Blank: anyone in the rotation may accept.",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="swaps_accepted"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="swaps_decided"
    )
    state = FSMField(default=S.OPEN, choices=SwapState.choices, protected=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was cancelled or expired.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="swap_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(offered_to=F("requester")) | Q(offered_to__isnull=True), name="swap_not_offered_to_self"
            ),
            models.CheckConstraint(
                condition=~Q(accepted_by=F("requester")) | Q(accepted_by__isnull=True), name="swap_not_accepted_by_self"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[S.ACCEPTED, S.APPROVED]) | Q(accepted_by__isnull=False),
                name="accepted_swap_has_acceptor",
            ),
            models.UniqueConstraint(
                fields=["rotation", "requester", "start"],
                condition=Q(state__in=LIVE_SWAP_STATES),
                name="one_live_swap_per_shift_start",
            ),
        ]
        # The expiry sweep selects live requests whose span has started.
        indexes = [models.Index(fields=["state", "start"], name="swap_state_start")]

    def __str__(self) -> str:
        return f"Swap #{self.pk}: {self.requester} offers {self.rotation} from {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_SWAP_STATES

    # Transitions change state only; services lock the row, check guards, stamp times and record events.
    @transition(field=state, source=S.OPEN, target=S.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=list(LIVE_SWAP_STATES), target=S.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=state, source=list(LIVE_SWAP_STATES), target=S.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=state, source=list(LIVE_SWAP_STATES), target=S.EXPIRED)
    def expire(self) -> None:
        pass


class SwapRequestEvent(models.Model):
    """Append-only history of a swap request: one row per step, never edited."""

    swap = models.ForeignKey(SwapRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Blank when Watchkeeper acted (expiry).",
    )
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, choices=SwapState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=SwapState.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["swap", "at", "id"]

    def __str__(self) -> str:
        return f"Swap #{self.swap_id}: {self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError("Swap request events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Swap request events are append-only.")
