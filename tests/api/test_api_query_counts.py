"""The API's lists and its request detail cost the same number of SQL queries at 5 rows and at 50, and at
most 12 (house rule 2), whether the caller signs in by session or by token.

Each test measures at a few rows, adds many more (varied requesters, assignees, services, authors), and
measures again. The clock is frozen so a token's "last used" write (at most once a minute) happens only
in the warm-up call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import pytest
import time_machine

from departments.models import Role, Service
from requests_app import services
from requests_app.models import ServiceRequest

from .. import factories
from ..query_counts import measure
from .conftest import api_url

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MAX_QUERIES = 12
WEDNESDAY_10 = datetime(2030, 1, 9, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Any:
    with time_machine.travel(WEDNESDAY_10, tick=False):
        yield


def references(**filters: Any) -> list[str]:
    return [f'"{ref}"' for ref in ServiceRequest.objects.filter(**filters).values_list("reference", flat=True)]


def file_requests(world: Any, count: int, *, requester: Any = None) -> None:
    """``count`` requests on varied services and priorities, each from its own requester unless one is given;
    every other one assigned."""
    second_service = factories.make_service(world.it, "Software install")
    services_cycle = cycle([world.laptop, second_service])
    priorities = cycle(["low", "normal", "high", "critical"])
    assignees = cycle([world.agent, world.lead])
    for n in range(count):
        sr = services.request_file(
            service=next(services_cycle),
            requester=requester or factories.make_user(),
            title=f"Request {n}",
            values={},
            priority=next(priorities),
        )
        if n % 2 == 0:
            services.request_assign(service_request=sr, assignee=next(assignees), by=world.lead)


VIA = ["session", "token"]


@pytest.mark.parametrize("via", VIA)
def test_my_requests_costs_the_same_at_5_and_at_50_rows(world, api, via):
    def grow(n: int) -> None:
        file_requests(world, n - n // 2, requester=world.requester)
        for i in range(n // 2):
            factories.make_request(world.certificate, world.requester, title=f"HR {i}", purpose="Bank")

    at_few, at_many = measure(
        api(world.requester, token=via == "token"),
        api_url("requests") + "?page_size=100",
        grow=grow,
        rows=lambda: ServiceRequest.objects.filter(requester=world.requester).count(),
        shown=lambda: references(requester=world.requester),
        few=5,
        many=50,
    )

    assert at_few == at_many
    assert at_many <= MAX_QUERIES


QUEUE_QUERIES = {
    "default": "",
    "sorted by priority, every status": "status=all&sort=priority",
    "searched and filtered": "q=request&sla=on_track&created_from=2030-01-01&due_from=2030-01-09&sort=updated",
    "sorted by age": "sort=age&status=all&priority=",
}


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("query", QUEUE_QUERIES, ids=list(QUEUE_QUERIES))
def test_the_queue_costs_the_same_at_5_and_at_50_rows(world, api, via, query):
    path = api_url("queue", slug=world.it.slug) + f"?page_size=100&{QUEUE_QUERIES[query]}"

    at_few, at_many = measure(
        api(world.agent, token=via == "token"),
        path,
        grow=lambda n: file_requests(world, n),
        rows=lambda: ServiceRequest.objects.filter(department=world.it).count(),
        shown=lambda: references(department=world.it),
        few=5,
        many=50,
    )

    assert at_few == at_many
    assert at_many <= MAX_QUERIES


@pytest.fixture
def conversation_grower(world: Any) -> Any:
    """Adds comments alternating public and internal, from varied authors (each adds a history event)."""
    sr = factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")
    extra_agents = [factories.make_user(f"it{n}") for n in range(3)]
    for person in extra_agents:
        factories.add_member(person, world.it, Role.AGENT)
    authors = cycle([world.requester, world.agent, world.lead, *extra_agents])
    counter = iter(range(1000))

    def grow(count: int) -> None:
        for _ in range(count):
            n = next(counter)
            author = next(authors)
            services.comment_add(
                service_request=sr,
                author=author,
                body=f"Message {n}",
                internal=author != world.requester and n % 2 == 0,
            )

    grow.request = sr
    return grow


def visible_comments(sr: ServiceRequest, *, include_internal: bool) -> list[str]:
    comments = sr.comments.all() if include_internal else sr.comments.filter(internal=False)
    return [f'"{body}"' for body in comments.values_list("body", flat=True)]


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("persona", ["requester", "agent", "lead"])
def test_the_request_detail_costs_the_same_with_5_and_50_comments(world, api, conversation_grower, persona, via):
    sr = conversation_grower.request

    at_few, at_many = measure(
        api(getattr(world, persona), token=via == "token"),
        api_url("request", reference=sr.reference),
        grow=conversation_grower,
        rows=lambda: sr.comments.count(),
        shown=lambda: visible_comments(sr, include_internal=persona != "requester"),
        few=5,
        many=50,
    )

    assert at_few == at_many
    assert at_many <= MAX_QUERIES


@pytest.mark.parametrize("via", VIA)
def test_the_catalog_costs_the_same_with_2_and_20_services(world, api, via):
    world.laptop.delete()
    world.certificate.delete()
    departments = cycle([world.it, world.hr, factories.make_department("Facilities", "FAC")])

    def grow(count: int) -> None:
        for n in range(count):
            service = factories.make_service(next(departments), sla_policy=factories.make_policy() if n % 2 else None)
            factories.add_field(service, "summary")

    at_few, at_many = measure(
        api(world.requester, token=via == "token"),
        api_url("catalog"),
        grow=grow,
        rows=lambda: Service.objects.count(),
        shown=lambda: [f'"{name}"' for name in Service.objects.values_list("name", flat=True)],
        few=2,
        many=20,
    )

    assert at_few == at_many
    assert at_many <= MAX_QUERIES
