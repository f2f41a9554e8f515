"""Reading post-mortems: the list, the page (a draft's preview), the print view and the Markdown download."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from config.errors import ApplicationError
from incidents.selectors import incident_for_user
from oncall.selectors import teams_managed_by
from postmortems import selectors, services
from postmortems.document import build_document
from postmortems.forms import TransitionForm
from postmortems.guards import publish_problems
from postmortems.markdown_export import markdown_filename, postmortem_markdown
from postmortems.models import OPEN_ITEM_STATES, PostMortem, PostMortemState
from postmortems.services.transitions import ACTION_LABELS


@login_required
def postmortem_list(request):
    state = request.GET.get("state", "")
    state = state if state in PostMortemState.values else ""
    mine = request.GET.get("mine") == "1"
    postmortems = selectors.postmortem_list(request.user, state=state, mine=mine).annotate(
        open_items=Count("action_items", filter=Q(action_items__status__in=OPEN_ITEM_STATES)),
        total_items=Count("action_items"),
    )
    return render(request, "postmortems/list.html", {
        "postmortems": postmortems,
        "states": PostMortemState.choices,
        "state": state,
        "mine": mine,
        "now": timezone.now(),
        "manages_a_team": teams_managed_by(request.user).exists(),  # the alert hygiene review is theirs
    })


def detail_context(request, postmortem: PostMortem, **extra) -> dict:
    user = request.user
    can_edit = selectors.can_edit_postmortem(user, postmortem)
    actions = selectors.postmortem_actions_for(user, postmortem)
    now = timezone.now()
    return {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "doc": build_document(postmortem),
        "can_edit": can_edit,
        "actions": [(action, ACTION_LABELS[action]) for action in actions],
        "action_names": actions,
        "review_overdue": postmortem.state == PostMortemState.DRAFT and postmortem.review_due_at is not None
        and postmortem.review_due_at < now,
        "problems": publish_problems(postmortem) if postmortem.is_editable else [],
        "transition_form": extra.pop("transition_form", None) or TransitionForm(),
        "today": timezone.localdate(),
        **extra,
    }


@login_required
def postmortem_detail(request, pk: int):
    postmortem = selectors.postmortem_for_user(request.user, pk)
    return render(request, "postmortems/detail.html", detail_context(request, postmortem))


@login_required
def postmortem_print(request, pk: int):
    postmortem = selectors.postmortem_for_user(request.user, pk)
    return render(request, "postmortems/print.html", {
        "postmortem": postmortem, "incident": postmortem.incident, "doc": build_document(postmortem),
        "today": timezone.localdate(),
    })


@login_required
def postmortem_markdown_download(request, pk: int):
    postmortem = selectors.postmortem_for_user(request.user, pk)
    response = HttpResponse(postmortem_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{markdown_filename(postmortem)}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def postmortem_for_incident(request, incident_pk: int):
    """The incident page's link: its post-mortem, or the button that starts one."""
    incident = incident_for_user(request.user, incident_pk)
    postmortem = PostMortem.objects.filter(incident=incident).first()
    if postmortem is not None and selectors.can_view_postmortem(request.user, postmortem):
        return redirect("postmortems:detail", pk=postmortem.pk)
    can_start = postmortem is None and selectors.can_start_postmortem(request.user, incident)
    error, status = "", 200
    if request.method == "POST" and postmortem is None:
        try:
            postmortem, _ = services.postmortem_create(incident=incident, user=request.user)
        except ApplicationError as exc:
            error, status = exc.message, exc.status_code
        else:
            return redirect("postmortems:edit", pk=postmortem.pk)
    return render(request, "postmortems/start.html", {
        "incident": incident, "postmortem": postmortem, "can_start": can_start, "error": error,
    }, status=status)
