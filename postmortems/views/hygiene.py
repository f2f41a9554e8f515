"""The weekly alert hygiene page for managers (`/postmortems/hygiene/`): the review of the teams they manage, and
the one step that turns a flagged source into an action item with an owner and a due date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from incidents.metrics.hygiene import (
    MAX_AFTER_HOURS_PAGES_PER_WEEK,
    MAX_ALERTS_PER_WEEK,
    MAX_FALSE_POSITIVE_SHARE,
    alert_hygiene,
    hygiene_scope,
    parse_week,
)
from incidents.models import NoiseVerdict
from oncall.models import TeamMembership
from oncall.selectors import teams_managed_by
from postmortems.models import ActionItem, Horizon, proposed_due_date
from postmortems.services.hygiene import hygiene_action_item_create, hygiene_item_title, hygiene_origin


class HygieneActionItemForm(forms.Form):
    source = forms.CharField(max_length=40)
    week = forms.CharField(max_length=20)
    team = forms.CharField(max_length=120, required=False)
    title = forms.CharField(max_length=200, required=False)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True),
                                   error_messages={"required": "Choose an owner.",
                                                   "invalid_choice": "Choose an owner from the team."})
    due_date = forms.DateField(required=False, error_messages={"invalid": "Give the due date as YYYY-MM-DD."})


def _managed_teams(request):
    teams = teams_managed_by(request.user)
    if not teams.exists():
        raise Http404("The alert hygiene review is for team managers.")
    return teams


def _page(request, *, week_text: str, team: str, status: int = 200, failed_form=None):
    teams = _managed_teams(request)
    try:
        week = parse_week(week_text)
        report = alert_hygiene(hygiene_scope(teams=teams, team=team or None, week=week))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        week_text, team, status = "", "", exc.status_code  # 404 for a team not theirs
        report = alert_hygiene(hygiene_scope(teams=teams, week=parse_week("")))
    origins = {hygiene_origin(row, report): row.key for row in report.flagged}
    items = {
        origins[item.origin]: item
        for item in ActionItem.objects.filter(origin__in=list(origins)).select_related("owner")
    }
    members = defaultdict(list)
    for membership in (
        TeamMembership.objects.filter(team__in=teams, user__is_active=True).select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    ):
        members[membership.team_id].append(membership.user)
    default_due = proposed_due_date(Horizon.IMMEDIATE, timezone.localdate())
    for row in (*report.integrations, *report.services):
        row.action_item = items.get(row.key)
        row.owners = members.get(row.team_id, [])
        row.default_title = hygiene_item_title(row)
    previous = report.week - dt.timedelta(days=7)
    following = report.week + dt.timedelta(days=7)
    return render(request, "postmortems/hygiene.html", {
        "report": report,
        "teams": teams.order_by("name"),
        "team": team,
        "default_due": default_due,
        "failed_form": failed_form,
        "verdicts": NoiseVerdict.choices,
        "thresholds": {"alerts": MAX_ALERTS_PER_WEEK, "false_positives": round(MAX_FALSE_POSITIVE_SHARE * 100),
                       "after_hours": MAX_AFTER_HOURS_PAGES_PER_WEEK},
        "previous_week": previous.isoformat(),
        "next_week": following.isoformat() if following <= timezone.localdate() else "",
        "here": request.get_full_path(),
    }, status=status)


@login_required
def alert_hygiene_page(request):
    return _page(request, week_text=request.GET.get("week", ""), team=request.GET.get("team", ""))


@login_required
@require_POST
def hygiene_action_item(request):
    _managed_teams(request)
    form = HygieneActionItemForm(request.POST)
    week_text, team = request.POST.get("week", ""), request.POST.get("team", "")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _page(request, week_text=week_text, team=team, status=400, failed_form=form)
    data = form.cleaned_data
    try:
        item, created = hygiene_action_item_create(
            user=request.user, source=data["source"], week=parse_week(data["week"]), owner=data["owner"],
            due_date=data["due_date"], title=data["title"],
        )
    except PermissionDenied as exc:
        raise Http404("No such source.") from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _page(request, week_text=week_text, team=team, status=exc.status_code, failed_form=form)
    owner = item.owner.get_full_name() or item.owner.get_username()
    if created:
        messages.success(request, f"Action item “{item.title}” created for {owner}, due {item.due_date:%Y-%m-%d}.")
    else:
        messages.info(request, f"That source already has its action item: “{item.title}” ({owner}).")
    query = urlencode({k: v for k, v in (("week", week_text), ("team", team)) if v})
    return HttpResponseRedirect(reverse("postmortems:hygiene") + (f"?{query}" if query else ""))
