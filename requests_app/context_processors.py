"""What the apps built on the core add to every page: navigation links and the templates shown beside
a service's promise (``requests_app.extensions``)."""

from __future__ import annotations

from django.http import HttpRequest

from . import extensions


def extensions_context(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "extension_navigation": extensions.navigation(request) if signed_in else [],
        "service_templates": extensions.service_templates(),
    }
