"""A page costs the same number of SQL queries whatever its number of rows (house rule 2).

Each test measures a page at a few rows, adds many more (varied requesters, assignees,
services, authors, SLA policies, so a missing join shows), and measures again.
"""

from __future__ import annotations

from itertools import cycle
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Role, Service
from requests_app import services
from requests_app.models import ServiceRequest

from .. import factories
from ..query_counts import measure

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture(autouse=True)
def _one_page(settings: Any) -> None:
    settings.QUEUE_PAGE_SIZE = 100


def references(**filters: Any) -> list[str]:
    return [f">{ref}<" for ref in ServiceRequest.objects.filter(**filters).values_list("reference", flat=True)]


def file_requests(world: Any, count: int, *, requester: Any = None) -> None:
    """``count`` requests on varied services, each from its own requester unless one is given; some assigned."""
    second_service = factories.make_service(world.it, "Software install")
    services_cycle = cycle([world.laptop, second_service])
    assignees = cycle([world.agent, world.lead])
    for n in range(count):
        sr = services.request_file(
            service=next(services_cycle),
            requester=requester or factories.make_user(),
            title=f"Request {n}",
            values={},
        )
        if n % 2 == 0:
            services.request_assign(service_request=sr, assignee=next(assignees), by=world.lead)


def test_queue_costs_the_same_at_5_and_at_50_rows(world, client_for):
    path = reverse("requests_app:queue", args=[world.it.slug])

    at_few, at_many = measure(
        client_for(world.lead),
        path,
        grow=lambda n: file_requests(world, n),
        rows=lambda: ServiceRequest.objects.filter(department=world.it).count(),
        shown=lambda: references(department=world.it),
        few=5,
        many=50,
    )

    assert at_few == at_many


def test_sorted_and_filtered_queue_costs_the_same_at_5_and_at_50_rows(world, client_for):
    path = reverse("requests_app:queue", args=[world.it.slug]) + "?sort=priority&status=all"

    at_few, at_many = measure(
        client_for(world.agent),
        path,
        grow=lambda n: file_requests(world, n),
        rows=lambda: ServiceRequest.objects.filter(department=world.it).count(),
        shown=lambda: references(department=world.it),
        few=5,
        many=50,
    )

    assert at_few == at_many


def test_my_requests_costs_the_same_at_5_and_at_50_rows(world, client_for):
    def grow(n: int) -> None:
        file_requests(world, n - n // 2, requester=world.requester)
        for i in range(n // 2):
            factories.make_request(world.certificate, world.requester, title=f"HR {i}", purpose="Bank")

    at_few, at_many = measure(
        client_for(world.requester),
        reverse("requests_app:my_requests"),
        grow=grow,
        rows=lambda: ServiceRequest.objects.filter(requester=world.requester).count(),
        shown=lambda: references(requester=world.requester),
        few=5,
        many=50,
    )

    assert at_few == at_many


@pytest.fixture
def conversation_grower(world: Any) -> Any:
    """Adds comments alternating public and internal, from varied authors, each with an attachment."""
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
                files=[("", SimpleUploadedFile(f"file{n}.txt", b"content"))],
            )

    grow.request = sr
    return grow


def visible_comment_texts(sr: ServiceRequest, *, include_internal: bool) -> list[str]:
    comments = sr.comments.all() if include_internal else sr.comments.filter(internal=False)
    texts = []
    for comment in comments.prefetch_related("attachments"):
        texts.append(f"<p>{comment.body}</p>")
        texts.extend(f">{a.original_name}<" for a in comment.attachments.all())
    return texts


@pytest.mark.parametrize("persona", ["requester", "agent", "lead"])
def test_request_page_costs_the_same_with_2_and_20_comments(world, client_for, conversation_grower, persona):
    sr = conversation_grower.request

    at_few, at_many = measure(
        client_for(getattr(world, persona)),
        sr.get_absolute_url(),
        grow=conversation_grower,
        rows=lambda: sr.comments.count(),
        shown=lambda: visible_comment_texts(sr, include_internal=persona != "requester"),
        few=2,
        many=20,
    )

    assert at_few == at_many


def test_catalog_costs_the_same_with_2_and_10_services(world, client_for):
    world.laptop.delete()
    world.certificate.delete()
    departments = cycle([world.it, world.hr, factories.make_department("Facilities", "FAC")])

    def grow(count: int) -> None:
        for _ in range(count):
            # Every other service has a policy of its own; the rest use their department's default.
            own_policy = factories.make_policy() if Service.objects.count() % 2 else None
            factories.make_service(next(departments), sla_policy=own_policy)

    at_few, at_many = measure(
        client_for(world.requester),
        reverse("requests_app:catalog"),
        grow=grow,
        rows=lambda: Service.objects.count(),
        shown=lambda: list(Service.objects.values_list("name", flat=True)),
        few=2,
        many=10,
    )

    assert at_few == at_many
