"""The engineer's edit form: the post-mortem's sections plus four inline formsets (whys, contributing
factors, timeline, action items). Forms check the shape of the input; every rule lives in the services, to
which the view hands only what changed."""

from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import BaseInlineFormSet, inlineformset_factory

from config.errors import ApplicationError
from postmortems.models import (
    TEXT_SECTIONS,
    ActionItem,
    ActionItemStatus,
    ContributingFactor,
    FishboneCategory,
    PostMortem,
    PostMortemTimelineEntry,
    Why,
)
from postmortems.selectors import postmortem_people

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_LOCAL_SECONDS = "%Y-%m-%dT%H:%M:%S"
SHORT_TEXT = ("users_affected", "support_tickets", "revenue_impact", "error_budget_consumed", "reputation_impact",
              "support_cost", "failed_requests", "data_loss", "services_affected", "downstream_dependencies")


def add_application_error(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Show a service's ApplicationError on the field it names, else on top of the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _datetime_local(*, seconds: bool = False) -> forms.DateTimeInput:
    fmt = DATETIME_LOCAL_SECONDS if seconds else DATETIME_LOCAL
    return forms.DateTimeInput(attrs={"type": "datetime-local", **({"step": "1"} if seconds else {})}, format=fmt)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class PostMortemForm(forms.ModelForm):
    owner = PersonChoiceField(queryset=get_user_model().objects.none(), required=False)
    facilitator = PersonChoiceField(queryset=get_user_model().objects.none(), required=False)
    attendees = PeopleChoiceField(
        queryset=get_user_model().objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PostMortem
        fields = ("title", "owner", "facilitator", "review_due_at", "review_meeting_at", "attendees", *TEXT_SECTIONS)
        widgets = {
            "review_due_at": _datetime_local(),
            "review_meeting_at": _datetime_local(),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in TEXT_SECTIONS if name not in SHORT_TEXT},
            "executive_summary": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {
            "review_due_at": "Review due (UTC)",
            "review_meeting_at": "Review meeting (UTC)",
            "went_well_detection": "Detection",
            "went_well_response": "Response",
            "went_well_recovery": "Recovery",
            "improve_prevention": "Prevention",
            "improve_detection": "Detection",
            "improve_response": "Response",
            "improve_systemic": "Systemic issues",
            "users_affected": "Affected users",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = postmortem_people(self.instance)
        for name in ("owner", "facilitator", "attendees"):
            self.fields[name].queryset = people
        for name in ("review_due_at", "review_meeting_at"):
            self.fields[name].input_formats = [DATETIME_LOCAL_SECONDS, DATETIME_LOCAL]


class WhyForm(forms.ModelForm):
    step = forms.IntegerField(min_value=1, max_value=99, required=False, label="Step",
                              widget=forms.NumberInput(attrs={"class": "step-input"}))

    class Meta:
        model = Why
        fields = ("step", "question", "answer")
        widgets = {
            "question": forms.TextInput(attrs={"placeholder": "Why …?"}),
            "answer": forms.Textarea(attrs={"rows": 2, "placeholder": "Because …"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["step"].initial = self.instance.position


class FactorForm(forms.ModelForm):
    class Meta:
        model = ContributingFactor
        fields = ("category", "title", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def has_changed(self) -> bool:
        # A new row's bone is preset by where it sits in the fishbone; only typing makes it a factor.
        if self.instance.pk is None:
            return bool(set(self.changed_data) - {"category"})
        return super().has_changed()


class TimelineEntryForm(forms.ModelForm):
    class Meta:
        model = PostMortemTimelineEntry
        fields = ("at", "text", "is_key_event")
        widgets = {"at": _datetime_local(seconds=True), "text": forms.Textarea(attrs={"rows": 1})}
        labels = {"at": "Time (UTC)", "text": "What happened"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].input_formats = [DATETIME_LOCAL_SECONDS, DATETIME_LOCAL]


class FactorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_category_display()}: {obj.title or obj.description[:60]}"


class ActionItemForm(forms.ModelForm):
    owner = PersonChoiceField(queryset=get_user_model().objects.none(), required=False)
    factor = FactorChoiceField(queryset=ContributingFactor.objects.none(), required=False,
                               label="Addresses factor")
    tracker_url = forms.URLField(label="Tracker URL", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = ActionItem
        fields = ("title", "owner", "horizon", "due_date", "status", "wont_do_reason", "tracker_url", "factor",
                  "description")
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
            "wont_do_reason": forms.TextInput(),
        }

    def __init__(self, *args, people=None, factors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["owner"].queryset = people
        if factors is not None:
            self.fields["factor"].queryset = factors
        # Items also change outside this form (quick status changes, the admin): compare what is posted with
        # what the page showed, not with the row now, so a stale form only writes what its user changed.
        for field in self.fields.values():
            field.show_hidden_initial = True


class RowFormSet(BaseInlineFormSet):
    def rows(self) -> list[dict]:
        """Changed, added and removed rows; a changed row carries only the fields the user changed (see
        postmortem_save)."""
        rows = []
        for form in self.forms:
            pk = form.instance.pk
            if form.cleaned_data.get("DELETE"):
                if pk:
                    rows.append({"id": pk, "delete": True})
                continue
            if not form.has_changed():
                continue
            row = {"id": pk}
            for name in form.changed_data if pk else form.fields:  # a new row: everything it holds
                if name not in ("DELETE", "id", self.fk.name, "step"):
                    row[name] = form.cleaned_data.get(name)
            if "step" in form.fields:
                row["position"] = form.cleaned_data.get("step") or (form.instance.position if pk else None)
            rows.append(row)
        return rows


def _formset(form, **options):
    return inlineformset_factory(PostMortem, form._meta.model, form=form, formset=RowFormSet, can_delete=True,
                                 **options)


WhyFormSet = _formset(WhyForm, extra=1)
FactorFormSet = _formset(FactorForm, extra=len(FishboneCategory))
TimelineFormSet = _formset(TimelineEntryForm, extra=1)
ActionItemFormSet = _formset(ActionItemForm, extra=1)

FORMSETS = {
    "whys": (WhyFormSet, lambda pm: Why.objects.filter(postmortem=pm).order_by("position", "id")),
    "factors": (FactorFormSet, lambda pm: ContributingFactor.objects.filter(postmortem=pm).order_by("id")),
    "timeline": (TimelineFormSet, lambda pm: PostMortemTimelineEntry.objects.filter(postmortem=pm).order_by(
        "at", "id")),
    "action_items": (ActionItemFormSet, lambda pm: ActionItem.objects.filter(postmortem=pm).order_by("id")),
}


def build_formsets(postmortem: PostMortem, data=None) -> dict[str, RowFormSet]:
    people = postmortem_people(postmortem)
    factors = ContributingFactor.objects.filter(postmortem=postmortem).order_by("category", "id")
    formsets = {}
    for prefix, (formset_class, queryset) in FORMSETS.items():
        kwargs = {"instance": postmortem, "prefix": prefix, "queryset": queryset(postmortem)}
        if prefix == "factors":
            kwargs["initial"] = [{"category": category} for category in FishboneCategory.values]
        if prefix == "whys":
            kwargs["initial"] = [{"step": kwargs["queryset"].count() + 1}]  # the blank row continues the chain
        if prefix == "action_items":
            kwargs["form_kwargs"] = {"people": people, "factors": factors}
        formsets[prefix] = formset_class(data, **kwargs)
    return formsets


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItemStatus.choices)
    reason = forms.CharField(required=False, max_length=1000)


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
