"""Forms for the engineer-facing pages. They validate input shape only; every rule lives in the services."""

import functools
import itertools

from django import forms
from django.contrib.auth import get_user_model

from config.errors import ApplicationError
from incidents import selectors
from incidents.models import IncidentRole, IncidentState, Service, Severity, UpdateAudience
from incidents.severity_tree import QUESTIONS, TriageAnswers, severity_from_answers

SCOPES = (("mine", "Mine"), ("teams", "My teams"), ("open", "All open"))
YES_NO = (("yes", "Yes"), ("no", "No"))
DATETIME_LOCAL = "%Y-%m-%dT%H:%M:%S"


def add_application_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's ApplicationError on the form: on its field when the form has one, else on top."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _datetime_local(**attrs) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1", **attrs}, format=DATETIME_LOCAL)


# ---------------------------------------------------------------------------------------------
# The guide's severity decision tree, as a guided helper.


def _key(prefix: tuple[bool, ...]) -> str:
    return "".join("y" if answer else "n" for answer in prefix)


@functools.cache
def tree_outcomes() -> dict[str, str]:
    """For every prefix of yes/no answers (in QUESTIONS order), the severity it already decides, or "".

    Found by asking severity_from_answers about every way the remaining questions could be answered,
    so the tree itself stays in incidents.severity_tree and the page's script only follows this map.
    """
    names = [name for name, _ in QUESTIONS]
    outcomes = {}
    for length in range(len(names) + 1):
        for prefix in itertools.product((True, False), repeat=length):
            results = {
                severity_from_answers(TriageAnswers(**dict(zip(names, prefix + rest, strict=True))))
                for rest in itertools.product((True, False), repeat=len(names) - length)
            }
            outcomes[_key(prefix)] = str(results.pop()) if len(results) == 1 else ""
    return outcomes


def tree_walk(answers: dict[str, bool | None]) -> tuple[str | None, str | None]:
    """Follow the tree through `answers` (question name -> bool, or None when unanswered).

    Returns (severity, None) once the answers decide it, or (None, name of the next question to answer).
    Answers to questions after the deciding one are ignored, as in the guide.
    """
    outcomes = tree_outcomes()
    prefix: tuple[bool, ...] = ()
    for name, _ in QUESTIONS:
        if outcomes[_key(prefix)]:
            break
        if answers.get(name) is None:
            return None, name
        prefix += (answers[name],)
    return outcomes[_key(prefix)], None


# ---------------------------------------------------------------------------------------------
# Incident list


class IncidentFilterForm(forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, required=False)
    state = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    service = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "Any state"), ("open", "Open (any open state)"), *IncidentState.choices]
        services = list(selectors.services_visible_to(user))
        self.fields["service"].choices = [("", "Any service"), *((s.slug, s.name) for s in services)]
        teams = sorted({(s.team.slug, s.team.name) for s in services}, key=lambda t: t[1].lower())
        self.fields["team"].choices = [("", "Any team"), *teams]

    def filters(self) -> dict[str, str]:
        """The valid filters; an unknown value in one field does not throw away the others."""
        self.is_valid()
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        values["scope"] = values["scope"] or "teams"
        return values


# ---------------------------------------------------------------------------------------------
# Declare


class DeclareForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label="Choose a service…")
    title = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"placeholder": "Checkout returns 503"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What do users see? Since when?"})
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.P3)
    use_tree = forms.BooleanField(required=False, label="Use the decision tree to set the severity")
    impact_started_at = forms.DateTimeField(
        required=False, label="Impact started at (UTC)", widget=_datetime_local(),
        help_text="Leave empty when unknown. Must not be after now.",
    )
    war_room = forms.CharField(
        max_length=120, required=False, label="War room",
        help_text="Leave empty to use #incident-YYYY-MM-DD-title.",
    )
    dedup_key = forms.CharField(
        max_length=255, required=False, label="Dedup key",
        help_text="Reports with the same key join the open incident instead of opening a new one.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = selectors.services_declarable_by(user)
        for name, question in QUESTIONS:
            self.fields[f"tree_{name}"] = forms.ChoiceField(
                choices=YES_NO, required=False, label=question, widget=forms.RadioSelect
            )

    def tree_fields(self):
        return [self[f"tree_{name}"] for name, _ in QUESTIONS]

    def clean(self):
        data = super().clean()
        if data.get("use_tree"):
            answers = {name: _yes_no(data.get(f"tree_{name}")) for name, _ in QUESTIONS}
            severity, missing = tree_walk(answers)
            if missing:
                self.add_error(f"tree_{missing}", "Answer this question, or untick “use the decision tree”.")
            else:
                data["severity"] = severity
        return data


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


# ---------------------------------------------------------------------------------------------
# Incident detail actions


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput(attrs={"placeholder": "Optional"}))
    false_alarm = forms.BooleanField(required=False, label="False alarm (no real impact)")
    resolution_summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Resolution summary",
        help_text="What fixed it and what the impact was. Required to close.",
    )

    def service_kwargs(self, action: str) -> dict:
        data = self.cleaned_data
        kwargs = {"note": data.get("note", "")}
        if action == "resolve":
            kwargs["false_alarm"] = data.get("false_alarm", False)
        if action == "close":
            kwargs["resolution_summary"] = data.get("resolution_summary", "")
        return kwargs


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput(attrs={"placeholder": "Why?"}))


class AssignRoleForm(forms.Form):
    role = forms.ChoiceField(choices=IncidentRole.choices)
    member = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Team member", empty_label="Choose…"
    )
    username = forms.CharField(required=False, max_length=150, label="or any user by username")

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (
            get_user_model()
            .objects.filter(memberships__team=team, is_active=True)
            .order_by("first_name", "last_name", "username")
            .distinct()
        )
        self.fields["member"].label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean(self):
        data = super().clean()
        member, username = data.get("member"), (data.get("username") or "").strip()
        if member and username:
            raise forms.ValidationError("Choose a team member or type a username, not both.")
        if username:
            found = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
            if found is None:
                self.add_error("username", f"No active user is called “{username}”.")
            data["assignee"] = found
        elif member:
            data["assignee"] = member
        elif not self.errors:
            raise forms.ValidationError("Choose who takes the role.")
        return data


class StatusUpdateForm(forms.Form):
    audience = forms.ChoiceField(
        choices=UpdateAudience.choices, initial=UpdateAudience.INTERNAL, widget=forms.RadioSelect
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), label="Update")


class IncidentEditForm(forms.Form):
    title = forms.CharField(max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    war_room = forms.CharField(max_length=120, required=False, label="War room")
    impact_started_at = forms.DateTimeField(required=False, label="Impact started at (UTC)", widget=_datetime_local())

    @classmethod
    def for_incident(cls, incident, data=None):
        initial = {f: getattr(incident, f) for f in ("title", "description", "war_room", "impact_started_at")}
        return cls(data=data, initial=initial)


class DirectPageForm(forms.Form):
    """Page an extra responder: whoever is on call in a rotation (any team's), or one person by username."""

    rotation = forms.ModelChoiceField(
        queryset=None, required=False, label="Whoever is on call in", empty_label="Choose a rotation…"
    )
    username = forms.CharField(required=False, max_length=150, label="or a person by username")
    note = forms.CharField(required=False, max_length=500, label="Why (goes with the page)")

    def __init__(self, *args, **kwargs):
        from incidents.paging_selectors import rotations_to_page

        super().__init__(*args, **kwargs)
        self.fields["rotation"].queryset = rotations_to_page()
        self.fields["rotation"].label_from_instance = lambda r: f"{r.team.name} — {r.name} ({r.get_kind_display()})"

    def clean(self):
        data = super().clean()
        rotation, username = data.get("rotation"), (data.get("username") or "").strip()
        if rotation and username:
            raise forms.ValidationError("Choose a rotation or type a username, not both.")
        data["target_user"] = None
        if username:
            found = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
            if found is None:
                self.add_error("username", f"No active user is called “{username}”.")
            data["target_user"] = found
        elif not rotation and not self.errors:
            raise forms.ValidationError("Choose a rotation or a person to page.")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"target_user": data["target_user"], "target_rotation": data.get("rotation"), "note": data["note"]}
