"""A person's own language and time zone (departments/personal.py): chosen on the profile, copied into the
session at sign-in, active on every page they read; the API follows it or the request's Accept-Language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from departments.models import Profile

from .. import factories
from ..conftest import login

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Berlin is UTC+1, São Paulo UTC-3


def reads(user: Any, language: str, zone: str = "") -> Any:
    Profile.objects.update_or_create(user=user, defaults={"language": language, "time_zone": zone})
    return user


def test_each_reader_sees_a_due_time_in_their_own_zone(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    reads(world.requester, "de", "Europe/Berlin")
    reads(world.agent, "", "America/Sao_Paulo")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        service_request = factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")
        berlin = login(world.requester).get(service_request.get_absolute_url()).content.decode()
        sao_paulo = login(world.agent).get(service_request.get_absolute_url()).content.decode()

    assert "T11:00:00+01:00" in berlin and "+01:00" in berlin and "-03:00" not in berlin
    assert "T07:00:00-03:00" in sao_paulo and "+01:00" not in sao_paulo


def test_the_chosen_language_marks_every_page_from_the_next_one_on(world: Any) -> None:
    client = login(world.requester)
    assert 'lang="en"' in client.get(reverse("requests_app:my_requests")).content.decode()

    response = client.post(reverse("requests_app:reading_set"), {"language": "de", "time_zone": "Europe/Berlin"})

    assert response.status_code == 302
    assert Profile.objects.get(user=world.requester).language == "de"
    assert 'lang="de"' in client.get(reverse("requests_app:my_requests")).content.decode()
    assert 'lang="de"' in login(world.requester).get("/").content.decode()  # a new sign-in reads it too


def test_an_unknown_time_zone_is_refused_at_its_field_and_keeps_what_was_typed(world: Any) -> None:
    response = login(world.requester).post(
        reverse("requests_app:reading_set"), {"language": "de", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 400
    assert "Mars/Olympus" in response.content.decode()
    assert not Profile.objects.filter(user=world.requester, language="de").exists()


@pytest.mark.parametrize("language", ["", "de"])
def test_a_page_costs_the_same_queries_in_every_language(world: Any, language: str) -> None:
    factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")
    counts = []
    for chosen in ("", language):
        reads(world.requester, chosen)
        client = login(world.requester)
        client.get(reverse("requests_app:my_requests"))  # warm: the session, the kept configuration
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("requests_app:my_requests")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_api_explains_a_refusal_in_the_language_asked_for(world: Any) -> None:
    client = APIClient()
    client.force_authenticate(world.requester)
    url = reverse("api:requests")

    english = client.post(url, {"service": world.laptop.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    in_german = client.post(url, {"service": world.laptop.pk}, format="json", HTTP_ACCEPT_LANGUAGE="de").json()

    assert set(english["errors"]) == set(in_german["errors"])  # the field names stay
    assert in_german["errors"]["title"] != english["errors"]["title"]  # Django's own German, for now
