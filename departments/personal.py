"""A person's own language and time zone, chosen on their profile, for every page they read.

The choice lives on ``Profile`` (blank: the browser's language, the site's ``TIME_ZONE``). It is copied
into the session when the person signs in and when they change it, so pages read it without a query;
``PersonalSettingsMiddleware`` activates it for each request after ``LocaleMiddleware`` has chosen the
browser's language. Business-time arithmetic is not affected: it runs on the serving department's
calendar, whatever zone the reader is in.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .models import Profile

SESSION_KEY = "servicedesk_personal"


def remember(request: HttpRequest, *, language: str, time_zone: str) -> None:
    """Keep the person's choices in their session (at sign-in, and when the profile changes)."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = {"language": language, "time_zone": time_zone}


def remember_on_sign_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    """``user_logged_in`` receiver (connected in ``DepartmentsConfig.ready``): one query at sign-in, none after."""
    if request is None:
        return
    profile = Profile.objects.filter(user=user).values("language", "time_zone").first() or {}
    remember(request, language=profile.get("language", ""), time_zone=profile.get("time_zone", ""))


def activate(language: str, time_zone: str) -> None:
    """Make ``language`` and ``time_zone`` the current ones (blank keeps what is active)."""
    if language and translation.check_for_language(language):
        translation.activate(language)
    if time_zone:
        try:
            timezone.activate(zoneinfo.ZoneInfo(time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()


class PersonalSettingsMiddleware:
    """Activates the signed-in person's language and time zone for the request, and lets go after."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if chosen:
            activate(chosen.get("language", ""), chosen.get("time_zone", ""))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
