"""Forms for the on-call pages. They check the shape of the input only; every rule lives in the services.

Times people type are wall-clock times in the time zone the page names (the team's for a shift, the
person's own for a blackout) and are turned into instants here, so the services only ever see UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from config.errors import ApplicationError
from oncall.eligibility import display_name
from oncall.models import BlackoutReason, Rotation
from oncall.schedule import Shift, wall_clock_to_utc

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def add_application_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's ApplicationError on the form: on its field when the form has one, else on top."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _datetime_local(**attrs) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format=DATETIME_LOCAL)


def _in_zone(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The instant at which the clock in `tz` reads what was typed (forms parse it in the current zone)."""
    if value is None:
        return None
    return wall_clock_to_utc(timezone.make_naive(value), tz)


@dataclass(frozen=True)
class OfferableShift:
    """One of the requester's shifts, as the swap form offers it."""

    shift: Shift
    rotation: Rotation

    @property
    def key(self) -> str:
        return f"{self.rotation.pk}@{self.shift.start.astimezone(dt.UTC).isoformat()}"

    @property
    def label(self) -> str:
        tz = self.rotation.team.tz
        start, end = self.shift.start.astimezone(tz), self.shift.end.astimezone(tz)
        return (f"{self.rotation.team.name} {self.rotation.get_kind_display().lower()}: "
                f"{start:%a %d %b %H:%M} – {end:%a %d %b %H:%M} {end:%Z} ({self.rotation.team.time_zone})")


class SwapRequestForm(forms.Form):
    shift = forms.ChoiceField(label="Your shift")
    offered_to = forms.ModelChoiceField(
        queryset=None, required=False, label="Offer to", empty_label="Anyone in the rotation",
        help_text="A named colleague, or leave it open to everyone in the rotation.",
    )
    start = forms.DateTimeField(
        required=False, label="From", widget=_datetime_local(),
        help_text="Only part of the shift? Give the times in the team's time zone; empty means the whole shift.",
    )
    end = forms.DateTimeField(required=False, label="Until", widget=_datetime_local())
    note = forms.CharField(
        required=False, max_length=2000, label="Note",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Why, and anything the colleague should know"}),
    )

    def __init__(self, *args, shifts: list[OfferableShift], colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.offerable = {s.key: s for s in shifts}
        self.fields["shift"].choices = [("", "Choose a shift…"), *((s.key, s.label) for s in shifts)]
        self.fields["offered_to"].queryset = colleagues
        self.fields["offered_to"].label_from_instance = display_name

    def clean(self):
        data = super().clean()
        chosen = self.offerable.get(data.get("shift") or "")
        if chosen is None:
            return data
        tz = chosen.rotation.team.tz
        start, end = _in_zone(data.get("start"), tz), _in_zone(data.get("end"), tz)
        data["rotation"] = chosen.rotation
        data["span_start"] = start or chosen.shift.start
        data["span_end"] = end or chosen.shift.end
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"rotation": data["rotation"], "start": data["span_start"], "end": data["span_end"],
                "offered_to": data.get("offered_to"), "note": data.get("note", "")}


class SwapActionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"placeholder": "Optional note"}))


class HandoffNoteForm(forms.Form):
    """The guide's hand-off checklist."""

    open_incidents = forms.CharField(
        required=False, label="Open incidents and their status", widget=forms.Textarea(attrs={"rows": 3})
    )
    ongoing_issues = forms.CharField(
        required=False, label="Ongoing issues or concerns", widget=forms.Textarea(attrs={"rows": 3})
    )
    scheduled_changes = forms.CharField(
        required=False, label="Scheduled changes in the next 24 hours", widget=forms.Textarea(attrs={"rows": 3})
    )


class BlackoutForm(forms.Form):
    start = forms.DateTimeField(label="From", widget=_datetime_local())
    end = forms.DateTimeField(label="Until", widget=_datetime_local())
    reason = forms.ChoiceField(choices=BlackoutReason.choices, initial=BlackoutReason.VACATION)
    note = forms.CharField(required=False, max_length=255)

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["start"].help_text = f"Your time zone ({tz.key})."

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"start": _in_zone(data["start"], self.tz), "end": _in_zone(data["end"], self.tz),
                "reason": data["reason"], "note": data.get("note", "")}
