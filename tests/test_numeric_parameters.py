"""Numbers in addresses: every numeric query parameter of the pages and the API, and the numbers the API takes
in a body, refuse what is not a plain whole number in range with a 4xx (the API's naming the parameter),
never a 500.

``str.isdigit`` accepts "²" (``int`` then fails) and ``int`` accepts "١٢" (Arabic-Indic digits): both
reached the code as numbers before. An empty value means "not given" where a page has a default (the first
page, the default page size, no filter); that fallback is the documented one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from requests_app import services
from requests_app.models import ServiceRequest

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

BAD_NUMBERS = {
    "superscript two": "²",
    "Arabic-Indic twelve": "١٢",
    "fullwidth twelve": "１２",
    "huge": "99999999999999999999999",
    "negative": "-1",
    "fraction": "1.5",
    "padded": " 2",
    "empty": "",
}


@dataclass(frozen=True)
class Parameter:
    """A numeric parameter: where it is sent, as whom, and what an empty value answers (the fallback)."""

    who: str
    url: Callable[[Any], str]
    name: str
    method: str = "get"
    api: bool = False
    empty: tuple[int, ...] = (200,)
    body: Callable[[Any], dict[str, Any]] = lambda world: {}


def page(name: str, **kwargs: Any) -> Callable[[Any], str]:
    return lambda world: reverse(name, kwargs=kwargs)


def on_request(name: str) -> Callable[[Any], str]:
    return lambda world: reverse(name, kwargs={"reference": ServiceRequest.objects.get().reference})


PARAMETERS = {
    "my requests: page": Parameter("requester", page("requests_app:my_requests"), "page"),
    "queue: service": Parameter("agent", page("requests_app:queue", slug="it"), "service"),
    "queue: requester department": Parameter("agent", page("requests_app:queue", slug="it"), "requester_department"),
    "queue: assignee": Parameter("agent", page("requests_app:queue", slug="it"), "assignee"),
    "dashboard: follow-up page": Parameter("lead", page("feedback:department_dashboard", slug="it"), "follow_ups"),
    "dashboard: since": Parameter("lead", page("feedback:department_dashboard", slug="it"), "since"),
    "dashboard: until": Parameter("lead", page("feedback:department_dashboard", slug="it"), "until"),
    "company: since": Parameter("lead", page("feedback:company"), "since"),
    "api my requests: page_size": Parameter("requester", page("api:requests"), "page_size", api=True),
    "api queue: page_size": Parameter("agent", page("api:queue", slug="it"), "page_size", api=True),
    "api queue: service": Parameter("agent", page("api:queue", slug="it"), "service", api=True),
    "api queue: requester_department": Parameter(
        "agent", page("api:queue", slug="it"), "requester_department", api=True
    ),
    "api queue: assignee": Parameter("agent", page("api:queue", slug="it"), "assignee", api=True),
    "api filing: service": Parameter(
        "requester",
        page("api:requests"),
        "service",
        method="post",
        api=True,
        empty=(400,),
        body=lambda world: {"title": "Dock", "values": {"asset_tag": "LT-1", "reason": "Slow"}},
    ),
    "api assign: assignee": Parameter(
        "agent", on_request("api:request_assign"), "assignee", method="post", api=True, empty=(400,)
    ),
}


@pytest.fixture
def filed(world: Any) -> ServiceRequest:
    return services.request_file(
        service=world.laptop, requester=world.requester, title="Dock", values={"asset_tag": "LT-1", "reason": "Slow"}
    )


def send(world: Any, parameter: Parameter, value: str) -> Any:
    user = getattr(world, parameter.who)
    url = parameter.url(world)
    if parameter.api:
        client = APIClient()
        client.force_login(user)
        if parameter.method == "post":
            return client.post(url, {**parameter.body(world), parameter.name: value}, format="json")
        return client.get(url, {parameter.name: value})
    client = Client()
    client.force_login(user)
    return getattr(client, parameter.method)(url, {**parameter.body(world), parameter.name: value})


@pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
@pytest.mark.parametrize("key", PARAMETERS)
def test_a_bad_number_is_a_client_error_never_a_server_error(world, filed, key, value):
    parameter = PARAMETERS[key]

    response = send(world, parameter, value)

    if value == "":
        assert response.status_code in parameter.empty, response.content[:500]
        return
    assert 400 <= response.status_code < 500, response.content[:500]
    if parameter.api:
        body = response.json()
        assert parameter.name in body["errors"], body
        assert body["detail"]


def test_a_good_page_number_still_works(world, filed):
    client = Client()
    client.force_login(world.requester)

    assert client.get(reverse("requests_app:my_requests"), {"page": "1"}).status_code == 200
    assert client.get(reverse("requests_app:my_requests"), {"page": "7"}).status_code == 200  # the last page


def test_the_api_page_size_names_itself_and_its_range(world, filed):
    client = APIClient()
    client.force_login(world.requester)

    response = client.get(reverse("api:requests"), {"page_size": "²"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "page_size: A whole number from 1 to 100.",
        "errors": {"page_size": ["A whole number from 1 to 100."]},
    }


# --- ids in addresses ------------------------------------------------------------------------------

PATH_VALUES = {"slug": "it", "reference": "IT-1001", "token": "x", "username": "agent", "month": "2026-01"}


ROUTE_PART = re.compile(r"<(\w+):(\w+)>")


def addresses_with_a_number(patterns: Any = None, namespace: str = "") -> list[tuple[str, str]]:
    """(name, route) of every URL that takes a number (``<int:...>``), admin's left out."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += addresses_with_a_number(
                pattern.url_patterns, namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            )
        elif pattern.name and "<int:" in str(pattern.pattern) and not namespace.startswith("admin:"):
            found.append((namespace + pattern.name, str(pattern.pattern)))
    return found


@pytest.mark.parametrize(("name", "route"), addresses_with_a_number())
def test_a_huge_id_in_an_address_is_never_a_server_error(world, filed, name, route):
    kwargs = {
        key: 99999999999999999999999 if kind == "int" else PATH_VALUES[key] for kind, key in ROUTE_PART.findall(route)
    }
    url = reverse(name, kwargs=kwargs)
    for persona in ("lead", "agent", "requester"):
        client = Client()
        client.force_login(getattr(world, persona))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert 400 <= response.status_code < 500, (persona, method, url, response.status_code)


def test_a_page_answers_a_bad_number_with_a_short_error_page(world, filed):
    client = Client()
    client.force_login(world.requester)

    response = client.get(reverse("requests_app:my_requests"), {"page": "²"})

    assert response.status_code == 400
    assert "Part of this address is not valid" in response.content.decode()
