"""Who is calling the API: a browser session (with CSRF) or a personal token.

``Authorization: Bearer sd_…`` (or ``Token sd_…``) signs in as the token's owner. A missing, malformed,
unknown or revoked token is a 401 with a ``WWW-Authenticate`` challenge, never a silent anonymous call.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from departments import personal
from departments.models import Profile

from .. import services


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be “Bearer <token>”."))
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token contains characters a token never has.")) from None
        token = services.api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked token."))
        try:
            profile = token.user.profile  # joined by the token look-up: no query
        except Profile.DoesNotExist:
            profile = None
        if profile is not None:  # the person's own language and zone over the request's Accept-Language
            personal.activate(profile.language, profile.time_zone)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="servicedesk"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token scheme in the OpenAPI schema."""

    target_class = "requests_app.api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile page (sd_…).",
        }
