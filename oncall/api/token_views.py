"""The personal API token page (/oncall/tokens/): create (the token is shown once, in the answer to the
POST, and never stored), list, revoke. The rules live in oncall.services.api_tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import ApplicationError
from oncall.models.api_token import ApiToken
from oncall.selectors import api_tokens_of
from oncall.services import api_token_create, api_token_revoke


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. “deploy script” or “Grafana”.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    created = raw = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, raw = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                form = ApiTokenForm()
        if created is None:
            status = 400
    response = render(
        request,
        "oncall/api_tokens.html",
        {"form": form, "created": created, "raw_token": raw, "tokens": api_tokens_of(request.user)},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the page may hold a token that exists nowhere else
    return response


@login_required
@require_POST
def api_token_revoke_view(request, pk: int):
    token = get_object_or_404(api_tokens_of(request.user), pk=pk)
    api_token_revoke(token=token, user=request.user)
    messages.success(request, f"Revoked “{token.name}”: requests using it are refused from now on.")
    return redirect("api_tokens:list")
