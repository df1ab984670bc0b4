"""Who is calling, as far as the network can tell: the client's address for sign-in throttling."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind our TLS proxy (``BEHIND_TLS_PROXY``) the address the
    proxy appended last to ``X-Forwarded-For``: the entries before it are whatever the client sent, and a
    client that could choose its address could dodge the lockout by sending a new one each time."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")
