"""The edit form. Works without JavaScript: every formset has a blank row, and the “Add …” buttons post
the form back with one more row, keeping everything typed. postmortems.js adds rows in place instead."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from incidents.selectors import can_act_on_incident
from postmortems import selectors, services
from postmortems.forms import PostMortemForm, add_application_error, build_formsets
from postmortems.guards import publish_problems
from postmortems.insights import timeline_insights
from postmortems.models import FISHBONE_HINTS, FishboneCategory, PostMortem


def _editable(request, pk: int) -> PostMortem:
    postmortem = selectors.postmortem_for_user(request.user, pk)
    if not can_act_on_incident(request.user, postmortem.incident):
        raise PermissionDenied("You can read this post-mortem but not edit it.")
    return postmortem


def _with_one_more_row(data, add: str):
    """The POST data with one more (blank) form in the formset `add` names ("factors:<bone>" presets its
    category), so a browser without JavaScript adds a row without losing what was typed."""
    prefix, _, category = add.partition(":")
    key = f"{prefix}-TOTAL_FORMS"
    if key not in data:
        return data
    data = data.copy()
    total = int(data[key] or 0)
    data[key] = str(total + 1)
    if prefix == "factors" and category in FishboneCategory.values:
        data[f"factors-{total}-category"] = category
    return data


def _fishbone_rows(formset) -> list[tuple]:
    """The factor forms grouped by bone, in the guide's order, for the fishbone layout."""
    groups = {category: [] for category in FishboneCategory.values}
    for form in formset.forms:
        value = form["category"].value() or FishboneCategory.METHODS
        groups.setdefault(value, []).append(form)
    return [(FishboneCategory(value), FISHBONE_HINTS[value], forms) for value, forms in groups.items()
            if value in FishboneCategory.values]


def _render(request, postmortem, form, formsets, *, status: int = 200, hide_errors: bool = False):
    return render(request, "postmortems/edit.html", {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "form": form,
        "formsets": formsets,
        "fishbone": _fishbone_rows(formsets["factors"]),
        "insights": timeline_insights(postmortem.incident),
        "problems": publish_problems(postmortem),
        "hide_errors": hide_errors,
    }, status=status)


@login_required
def postmortem_edit(request, pk: int):
    postmortem = _editable(request, pk)
    if not postmortem.is_editable:
        messages.info(request, "This post-mortem is published and read-only; a manager of the team can reopen it.")
        return redirect("postmortems:detail", pk=postmortem.pk)
    if request.method != "POST":
        return _render(request, postmortem, PostMortemForm(instance=postmortem), build_formsets(postmortem))

    data = request.POST
    if request.POST.get("add"):
        data = _with_one_more_row(data, request.POST["add"])
        form, formsets = PostMortemForm(data, instance=postmortem), build_formsets(postmortem, data)
        return _render(request, postmortem, form, formsets, hide_errors=True)

    form, formsets = PostMortemForm(data, instance=postmortem), build_formsets(postmortem, data)
    if not (form.is_valid() and all(formset.is_valid() for formset in formsets.values())):
        messages.error(request, "Nothing was saved: correct the fields marked below.")
        return _render(request, postmortem, form, formsets, status=400)
    changed = [name for name in form.changed_data if name != "attendees"]
    try:
        services.postmortem_save(
            postmortem=postmortem,
            user=request.user,
            fields={name: form.cleaned_data[name] for name in changed},
            attendees=list(form.cleaned_data["attendees"]) if "attendees" in form.changed_data else None,
            **{prefix: formset.rows() for prefix, formset in formsets.items()},
        )
    except ApplicationError as exc:
        add_application_error(form, exc)
        messages.error(request, f"Nothing was saved: {exc.message}")
        return _render(request, postmortem, form, formsets, status=exc.status_code)
    messages.success(request, "Post-mortem saved.")
    if request.POST.get("then") == "preview":
        return redirect("postmortems:detail", pk=postmortem.pk)
    return redirect("postmortems:edit", pk=postmortem.pk)


@login_required
@require_POST
def postmortem_timeline_import(request, pk: int):
    postmortem = _editable(request, pk)
    try:
        added = services.postmortem_timeline_import(postmortem=postmortem, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("postmortems:detail", pk=postmortem.pk)
    if added:
        messages.success(request, f"Copied {added} new incident timeline entr{'y' if added == 1 else 'ies'}.")
    else:
        messages.info(request, "The timeline already holds every incident timeline entry.")
    return redirect("postmortems:edit", pk=postmortem.pk)
