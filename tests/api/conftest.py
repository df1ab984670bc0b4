"""API clients for the personas, signed in the two ways the API accepts.

``api(world.agent)`` signs in with a browser session; ``api(world.agent, token=True)`` sends
``Authorization: Bearer sd_…`` from a personal token, as an integration does; ``api(None)`` is an anonymous
caller. Session clients skip the CSRF check like Django's test client does, except with ``csrf=True``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from requests_app import services
from requests_app.models import ServiceRequest

SECRET_NOTE = "Internal: the requester broke three laptops this year"


def api_url(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def make_api_client(user: Any, *, token: bool = False, csrf: bool = False) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf)
    if user is None:
        return client
    if token:
        _, raw = services.api_token_create(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    else:
        client.force_login(user)
    return client


@pytest.fixture
def api() -> Any:
    """``api(user, token=False, csrf=False)``: an API client signed in as ``user`` (``None``: anonymous)."""
    return make_api_client


@pytest.fixture
def it_request(world: Any) -> ServiceRequest:
    """The requester's laptop request, with an internal note and a public reply from the IT agent."""
    sr = services.request_file(
        service=world.laptop,
        requester=world.requester,
        title="Laptop is slow",
        values={"asset_tag": "LT-7", "reason": "Slow"},
    )
    services.comment_add(service_request=sr, author=world.agent, body=SECRET_NOTE, internal=True)
    services.comment_add(service_request=sr, author=world.agent, body="We are on it.")
    sr.refresh_from_db()
    return sr
