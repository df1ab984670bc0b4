"""Personal API tokens (``requests_app.services.tokens``) made, listed and revoked on the profile page."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from django.urls import reverse

from requests_app import services
from requests_app.models import ApiToken

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


TOKEN_RE = re.compile(r'<code class="user-select-all[^"]*">(sd_[0-9a-f]{8}_[A-Za-z0-9_-]{20,})</code>')


def create_token(client: Any, name: str = "monitoring bot") -> Any:
    return client.post(reverse("requests_app:api_token_create"), {"name": name})


def test_a_new_token_is_shown_once_on_the_profile_page(world, client_for):
    client = client_for(world.requester)

    response = create_token(client)

    raw = TOKEN_RE.search(response.content.decode()).group(1)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    later = client.get(reverse("requests_app:profile")).content.decode()
    assert raw not in later
    assert raw.split("_", 2)[2] not in later
    assert 'id="new-token"' not in later


def test_only_a_hash_of_the_token_is_stored(world, client_for):
    raw = TOKEN_RE.search(create_token(client_for(world.requester)).content.decode()).group(1)

    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    secret = raw.split("_", 2)[2]
    stored = json.dumps(list(ApiToken.objects.values().get().values()), default=str)
    assert secret not in stored
    assert raw.startswith(f"sd_{token.prefix}_")


def test_the_profile_lists_tokens_by_name_and_prefix(world, client_for):
    client = client_for(world.requester)
    create_token(client, "monitoring bot")
    create_token(client, "chat bot")

    page = client.get(reverse("requests_app:profile")).content.decode()

    table = page.split('id="tokens"')[1]
    for token in ApiToken.objects.all():
        assert f"<td>{token.name}</td>" in table
        assert f"<code>sd_{token.prefix}_…</code>" in table


def test_a_token_is_revoked_on_the_profile_page(world, client_for):
    client = client_for(world.requester)
    raw = TOKEN_RE.search(create_token(client).content.decode()).group(1)
    token = ApiToken.objects.get()
    assert services.api_token_authenticate(raw) is not None

    response = client.post(reverse("requests_app:api_token_revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain == [(reverse("requests_app:profile"), 302)]
    assert ApiToken.objects.get().revoked_at is not None
    assert services.api_token_authenticate(raw) is None
    assert re.search(r'<span class="badge text-bg-secondary">revoked \d{4}-\d\d-\d\d</span>', response.content.decode())


def test_another_persons_token_cannot_be_revoked(world, client_for):
    raw = TOKEN_RE.search(create_token(client_for(world.requester)).content.decode()).group(1)
    token = ApiToken.objects.get()

    for person in (world.colleague, world.lead, world.admin):
        response = client_for(person).post(reverse("requests_app:api_token_revoke", args=[token.pk]))
        assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert services.api_token_authenticate(raw).user == world.requester


def test_revoking_is_a_post(world, client_for):
    client = client_for(world.requester)
    create_token(client)

    response = client.get(reverse("requests_app:api_token_revoke", args=[ApiToken.objects.get().pk]))

    assert response.status_code == 405
    assert ApiToken.objects.get().revoked_at is None


def test_a_token_needs_a_name(world, client_for):
    response = create_token(client_for(world.requester), name="  ")

    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert not TOKEN_RE.search(response.content.decode())


def test_the_profile_page_needs_a_signed_in_person(world, client):
    response = client.get(reverse("requests_app:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
