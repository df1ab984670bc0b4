"""The person's own page: who they are, where they work, and their personal API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from departments import personal
from departments.models import Profile
from departments.permissions import user_memberships
from departments.services import profile_set_reading

from .. import services
from ..models import ApiToken


class ReadingForm(forms.Form):
    """The language and time zone a person reads the desk in."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        help_text=_("A name such as Europe/Berlin or America/Sao_Paulo; blank for the site's time zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("As my browser asks")), *settings.LANGUAGES]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Token name"), help_text=_("What it is for, e.g. “monitoring bot”."))


def _page(
    request: HttpRequest,
    form: ApiTokenForm,
    *,
    new_token: str = "",
    status: int = 200,
    reading_form: ReadingForm | None = None,
) -> HttpResponse:
    profile = Profile.objects.filter(user=request.user).select_related("department").first()
    if reading_form is None:
        initial = {"language": profile.language, "time_zone": profile.time_zone} if profile else {}
        reading_form = ReadingForm(initial=initial)
    context = {
        "profile": profile,
        "reading_form": reading_form,
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
    messages.success(
        request, gettext("Created “%(name)s”. Copy it now: it will not be shown again.") % {"name": token.name}
    )
    return _page(request, ApiTokenForm(), new_token=raw)


@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404(gettext("No such token."))
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, gettext("Revoked “%(name)s”: it no longer works.") % {"name": token.name})
    return redirect("requests_app:profile")


@require_POST
def reading_set(request: HttpRequest) -> HttpResponse:
    """Choose the language and time zone of every page and email; applies from the next page on."""
    form = ReadingForm(request.POST)
    if form.is_valid():
        try:
            profile = profile_set_reading(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            personal.remember(request, language=profile.language, time_zone=profile.time_zone)
            personal.activate(profile.language, profile.time_zone)
            if not profile.language:
                translation.activate(translation.get_language_from_request(request))
            messages.success(request, gettext("Saved: pages and emails now use your language and time zone."))
            return redirect("requests_app:profile")
    return _page(request, ApiTokenForm(), reading_form=form, status=400)
