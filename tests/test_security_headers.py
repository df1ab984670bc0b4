"""Security headers on every page: a Content-Security-Policy without inline scripts, no sniffing, no framing,
a referrer policy; and no page of the app carries an inline script the policy would have to allow."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from requests_app import services

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def test_pages_send_a_policy_that_allows_scripts_from_this_site_only(world, client_for):
    response = client_for(world.requester).get(reverse("requests_app:catalog"))

    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_page_carries_an_inline_script_or_event_handler(world, client_for):
    sr = services.request_file(
        service=world.laptop,
        requester=world.requester,
        title="Screen",
        values={"asset_tag": "LT-1", "reason": "Slow", "needed_by": None, "photo": None},
    )
    services.comment_add(service_request=sr, author=world.agent, body="On it")
    pages = {
        world.lead: [
            reverse("requests_app:queue", args=[world.it.slug]),
            reverse("requests_app:request_detail", args=[sr.reference]),
            reverse("feedback:department_dashboard", args=[world.it.slug]),
            reverse("feedback:assessment_list", args=[world.it.slug]),
            reverse("feedback:company"),
            reverse("requests_app:request_transfer", args=[sr.reference]),
        ],
        world.requester: [
            reverse("requests_app:catalog"),
            reverse("requests_app:service_detail", args=[world.laptop.pk]),
            reverse("requests_app:my_requests"),
            reverse("requests_app:profile"),
            reverse("feedback:request_thank", args=[sr.reference]),
            reverse("feedback:thanks_board", args=[world.it.slug]),
            reverse("api-docs"),
        ],
        world.admin: [reverse("admin:index"), reverse("admin:departments_slapolicy_add")],
    }
    for user, paths in pages.items():
        client = client_for(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            page = response.content.decode()
            assert not INLINE_SCRIPT.findall(page), (path, INLINE_SCRIPT.findall(page))
            assert not EVENT_HANDLER.findall(page), path
            assert "javascript:" not in page.lower(), path


def test_the_sign_in_page_has_no_inline_script_either(client):
    response = client.get(reverse("login"))

    assert not INLINE_SCRIPT.findall(response.content.decode())
    assert "Content-Security-Policy" in response
