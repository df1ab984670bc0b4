"""The person's own page: who they are, where they work, and their personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from departments.models import Profile
from departments.permissions import user_memberships

from .. import services
from ..models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, label="Token name", help_text="What it is for, e.g. “monitoring bot”.")


def _page(request: HttpRequest, form: ApiTokenForm, *, new_token: str = "", status: int = 200) -> HttpResponse:
    context = {
        "profile": Profile.objects.filter(user=request.user).select_related("department").first(),
        "memberships": user_memberships(request.user),
        "tokens": list(ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")),
        "token_form": form,
        "new_token": new_token,
        "nav": "profile",
    }
    response = render(request, "requests_app/profile.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


def profile(request: HttpRequest) -> HttpResponse:
    return _page(request, ApiTokenForm())


@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    """Create a token and show its secret once, on this response only."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, raw = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, form, status=400)
    messages.success(request, f"Created “{token.name}”. Copy it now: it will not be shown again.")
    return _page(request, ApiTokenForm(), new_token=raw)


@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("requests_app:profile")
