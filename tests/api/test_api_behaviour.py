"""What the API does: filing (validated by the web's form), cursor pages, the queue's filters and sorts,
the workflow's actions with their history, and JSON errors for every kind of bad input.

Errors are ``{"detail": "...", "errors": {"<field>": ["<reason>"]}}``; field values are reported as
``values.<field name>``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import FieldType, Priority, Profile, Role
from requests_app import services
from requests_app.api import views as api_views
from requests_app.models import Attachment, EventKind, RequestEvent, ServiceRequest, Status

from .. import factories
from .conftest import api_url

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def errors_of(response: Any, status: int = 400) -> dict[str, list[str]]:
    """The field errors of a JSON error response, after checking its shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]
    return body["errors"]


# --- filing ------------------------------------------------------------------------------------


@pytest.fixture
def kit(world: Any) -> Any:
    """An IT service with one field of every type."""
    service = factories.make_service(world.it, "New starter kit", slug="new-starter-kit")
    factories.add_field(service, "summary", FieldType.SHORT_TEXT, required=True)
    factories.add_field(service, "details", FieldType.LONG_TEXT)
    factories.add_field(service, "quantity", FieldType.NUMBER)
    factories.add_field(service, "needed_by", FieldType.DATE)
    factories.add_field(service, "colour", FieldType.CHOICE, choices="Red\nGreen\nBlue")
    factories.add_field(service, "extras", FieldType.MULTI_CHOICE, choices="Mouse\nDock\nBag")
    factories.add_field(service, "urgent", FieldType.CHECKBOX)
    factories.add_field(service, "receipt", FieldType.FILE)
    return service


def file_json(client: Any, service: Any, values: dict[str, Any], **extra: Any) -> Any:
    payload = {"service": service.pk, "title": "New starter", "values": values, **extra}
    return client.post(api_url("requests"), payload, format="json")


EVERY_TYPE = {
    "summary": "Kit for Ada",
    "details": "Left-handed mouse.\nQuiet keyboard.",
    "quantity": 2.5,
    "needed_by": "2030-02-01",
    "colour": "Green",
    "extras": ["Mouse", "Bag"],
    "urgent": True,
}


def test_filing_with_json_creates_the_request_as_its_caller(world, api, kit):
    kit.requester_priority_limit = Priority.HIGH  # requesters may state up to high here
    kit.save(update_fields=["requester_priority_limit"])

    response = file_json(api(world.requester, token=True), kit, EVERY_TYPE, priority="high")

    assert response.status_code == 201, response.content
    body = response.json()
    sr = ServiceRequest.objects.get()
    assert body["reference"] == sr.reference
    assert response["Location"] == api_url("request", reference=sr.reference)
    assert (sr.requester, sr.service, sr.title, sr.priority) == (world.requester, kit, "New starter", "high")
    assert body["status"] == Status.NEW
    assert [e["kind"] for e in body["history"]] == [EventKind.FILED]


def test_filing_stores_every_field_type_as_the_web_form_cleans_it(world, api, kit):
    response = file_json(api(world.requester), kit, EVERY_TYPE)

    assert response.status_code == 201, response.content
    expected = {**EVERY_TYPE, "receipt": None}
    assert ServiceRequest.objects.get().values == expected
    assert response.json()["values"] == expected


def test_whole_numbers_are_stored_as_integers_and_optional_fields_may_be_left_out(world, api, kit):
    response = file_json(api(world.requester), kit, {"summary": "Kit", "quantity": "3", "urgent": False})

    assert response.status_code == 201, response.content
    values = ServiceRequest.objects.get().values
    assert values["quantity"] == 3
    assert values["urgent"] is False
    assert values["colour"] == ""
    assert values["extras"] == []


BAD_VALUES = {
    "missing required field": ({"details": "no summary"}, "values.summary"),
    "required field blank": ({"summary": "  "}, "values.summary"),
    "unknown field": ({"summary": "Kit", "shoe_size": 44}, "values.shoe_size"),
    "choice not offered": ({"summary": "Kit", "colour": "Purple"}, "values.colour"),
    "multiple choice not offered": ({"summary": "Kit", "extras": ["Mouse", "Pony"]}, "values.extras"),
    "date that does not exist": ({"summary": "Kit", "needed_by": "2030-02-30"}, "values.needed_by"),
    "date in another format": ({"summary": "Kit", "needed_by": "next Tuesday"}, "values.needed_by"),
    "number that is a word": ({"summary": "Kit", "quantity": "many"}, "values.quantity"),
    "number too large": ({"summary": "Kit", "quantity": 10**20}, "values.quantity"),
    "text too long": ({"summary": "x" * 501}, "values.summary"),
}


@pytest.mark.parametrize(("values", "field"), BAD_VALUES.values(), ids=list(BAD_VALUES))
def test_filing_reports_a_bad_value_at_its_field(world, api, kit, values, field):
    errors = errors_of(file_json(api(world.requester), kit, values))

    assert list(errors) == [field]
    assert errors[field]
    assert not ServiceRequest.objects.exists()


def test_filing_reports_every_bad_field_at_once(world, api, kit):
    errors = errors_of(file_json(api(world.requester), kit, {"colour": "Purple", "quantity": "many"}))

    assert set(errors) == {"values.summary", "values.colour", "values.quantity"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"values": {"summary": "Kit"}}, "title"),
        ({"title": "", "values": {"summary": "Kit"}}, "title"),
        ({"title": "t" * 201, "values": {"summary": "Kit"}}, "title"),
        ({"title": "Kit", "values": ["summary", "Kit"]}, "values"),
        ({"title": "Kit", "values": "summary=Kit"}, "values"),
        ({"title": "Kit", "values": {"summary": "Kit"}, "priority": "yesterday"}, "priority"),
    ],
    ids=["no title", "blank title", "title too long", "values a list", "values not JSON", "unknown priority"],
)
def test_filing_reports_bad_request_fields(world, api, kit, payload, field):
    response = api(world.requester).post(api_url("requests"), {"service": kit.pk, **payload}, format="json")

    assert field in errors_of(response)
    assert not ServiceRequest.objects.exists()


def _deactivate_service(world: Any) -> int:
    world.certificate.is_active = False
    world.certificate.save(update_fields=["is_active"])
    return world.certificate.pk


def _deactivate_department(world: Any) -> int:
    world.hr.is_active = False
    world.hr.save(update_fields=["is_active"])
    return world.certificate.pk


UNAVAILABLE_SERVICES = {
    "inactive service": _deactivate_service,
    "service of an inactive department": _deactivate_department,
    "unknown id": lambda world: 987654,
    "not a number": lambda world: "certificate",
    "missing": lambda world: None,
}


@pytest.mark.parametrize("case", UNAVAILABLE_SERVICES, ids=list(UNAVAILABLE_SERVICES))
def test_filing_against_a_service_that_is_not_offered_is_reported_at_service(world, api, case):
    service_id = UNAVAILABLE_SERVICES[case](world)
    payload = {"title": "Certificate", "values": {"purpose": "Bank"}}
    if service_id is not None:
        payload["service"] = service_id

    errors = errors_of(api(world.requester).post(api_url("requests"), payload, format="json"))

    assert list(errors) == ["service"]
    assert not ServiceRequest.objects.exists()


def test_an_inactive_service_is_not_found(world, api):
    service_id = _deactivate_service(world)

    assert errors_of(api(world.requester).get(api_url("service", pk=service_id)), 404) == {}


def test_the_catalog_lists_only_active_services_with_their_fields(world, api, kit):
    factories.make_service(world.it, "Retired", is_active=False)

    body = api(world.requester).get(api_url("catalog")).json()

    it = next(d for d in body if d["slug"] == world.it.slug)
    assert [s["name"] for s in it["services"]] == ["Laptop replacement", "New starter kit"]
    service = api(world.requester).get(api_url("service", pk=kit.pk)).json()
    assert [(f["name"], f["field_type"]) for f in service["fields"]] == [
        ("summary", "short_text"),
        ("details", "long_text"),
        ("quantity", "number"),
        ("needed_by", "date"),
        ("colour", "choice"),
        ("extras", "multi_choice"),
        ("urgent", "checkbox"),
        ("receipt", "file"),
    ]
    assert next(f for f in service["fields"] if f["name"] == "colour")["choices"] == ["Red", "Green", "Blue"]


# --- multipart filing with files ---------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 13  # a PNG's signature and header


def file_multipart(client: Any, service: Any, values: Any, **files: Any) -> Any:
    payload = {"service": service.pk, "title": "Cracked screen", "values": values}
    payload.update({f"files.{name}": upload for name, upload in files.items()})
    return client.post(api_url("requests"), payload, format="multipart")


def test_filing_with_multipart_stores_the_file_and_its_name(world, api):
    photo = SimpleUploadedFile("crack.png", PNG, content_type="image/png")

    response = file_multipart(
        api(world.requester, token=True),
        world.laptop,
        json.dumps({"asset_tag": "LT-9", "reason": "Broken", "needed_by": "2030-03-01"}),
        photo=photo,
    )

    assert response.status_code == 201, response.content
    sr = ServiceRequest.objects.get()
    assert sr.values == {"asset_tag": "LT-9", "reason": "Broken", "needed_by": "2030-03-01", "photo": "crack.png"}
    attachment = Attachment.objects.get(request=sr)
    assert (attachment.field_name, attachment.original_name) == ("photo", "crack.png")
    with attachment.file.open("rb") as stored:
        assert stored.read() == PNG


def test_multipart_values_must_be_a_json_object(world, api):
    errors = errors_of(file_multipart(api(world.requester), world.laptop, "asset_tag=LT-9"))

    assert list(errors) == ["values"]


def test_a_file_over_the_size_limit_is_reported_at_its_field(world, api, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PNG) - 1
    big = SimpleUploadedFile("big.png", PNG, content_type="image/png")

    response = file_multipart(
        api(world.requester), world.laptop, json.dumps({"asset_tag": "LT-9", "reason": "Broken"}), photo=big
    )

    errors = errors_of(response)
    assert list(errors) == ["values.photo"]
    assert "at most" in errors["values.photo"][0]
    assert not Attachment.objects.exists()


def test_a_required_file_that_is_missing_is_reported_at_its_field(world, api, kit):
    kit.fields.filter(name="receipt").update(required=True)

    response = file_multipart(api(world.requester), kit, json.dumps({"summary": "Kit"}))

    assert list(errors_of(response)) == ["values.receipt"]


def test_a_file_for_a_field_the_service_does_not_have_is_not_stored(world, api):
    stray = SimpleUploadedFile("stray.txt", b"stray")

    response = file_multipart(
        api(world.requester), world.laptop, json.dumps({"asset_tag": "LT-9", "reason": "Slow"}), invoice=stray
    )

    assert response.status_code == 201, response.content
    assert not Attachment.objects.exists()


# --- "my requests": cursor pages ---------------------------------------------------------------


def follow(client: Any, url: str, link: str) -> list[list[str]]:
    """The references of each page, following ``link`` ("next" or "previous") until it is null."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["reference"] for row in body["results"]])
        url = body[link]
    return pages


def mine_in_order(user: Any) -> list[str]:
    return list(
        ServiceRequest.objects.filter(requester=user).order_by("-updated_at", "-id").values_list("reference", flat=True)
    )


@pytest.fixture
def seven_requests(world: Any) -> list[ServiceRequest]:
    """Seven requests of the requester's, on two services, one updated after filing; and one of a colleague."""
    filed = [
        factories.make_request(world.certificate, world.requester, title=f"Certificate {n}", purpose="Bank")
        for n in range(4)
    ]
    filed += [
        factories.make_request(world.laptop, world.requester, title=f"Laptop {n}", asset_tag=f"LT-{n}", reason="Slow")
        for n in range(3)
    ]
    services.comment_add(service_request=filed[0], author=world.requester, body="Still needed")
    factories.make_request(world.certificate, world.colleague, title="Not mine", purpose="Visa")
    return filed


def test_following_next_links_lists_every_request_once_in_order(world, api, seven_requests):
    client = api(world.requester)

    pages = follow(client, api_url("requests") + "?page_size=3", "next")

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [ref for page in pages for ref in page] == mine_in_order(world.requester)


def test_following_previous_links_back_gives_the_same_pages(world, api, seven_requests):
    client = api(world.requester)
    forward = follow(client, api_url("requests") + "?page_size=3", "next")
    last_page_url = client.get(api_url("requests") + "?page_size=3").json()["next"]
    last_page_url = client.get(last_page_url).json()["next"]

    backward = follow(client, last_page_url, "previous")

    assert backward == list(reversed(forward))


def test_a_page_says_how_many_rows_match_and_the_first_has_no_previous_link(world, api, seven_requests):
    body = api(world.requester).get(api_url("requests") + "?page_size=5").json()

    assert body["count"] == 7
    assert body["count_is_capped"] is False
    assert body["previous"] is None
    assert parse_qs(urlsplit(body["next"]).query)["page_size"] == ["5"]


def test_a_request_filed_while_paging_neither_repeats_nor_hides_a_row(world, api, seven_requests):
    client = api(world.requester)
    expected = mine_in_order(world.requester)
    first = client.get(api_url("requests") + "?page_size=4").json()

    factories.make_request(world.certificate, world.requester, title="Filed meanwhile", purpose="Bank")
    second = client.get(first["next"]).json()

    seen = [row["reference"] for row in first["results"] + second["results"]]
    assert seen == expected


@pytest.mark.parametrize("size", ["0", "101", "-1", "ten", "2.5"])
def test_a_page_size_out_of_bounds_is_reported(world, api, seven_requests, size):
    errors = errors_of(api(world.requester).get(api_url("requests"), {"page_size": size}))

    assert list(errors) == ["page_size"]


@pytest.mark.parametrize(("size", "rows"), [("1", 1), ("100", 7)])
def test_page_sizes_at_the_bounds_are_accepted(world, api, seven_requests, size, rows):
    body = api(world.requester).get(api_url("requests"), {"page_size": size}).json()

    assert len(body["results"]) == rows


def _cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


TAMPERED_CURSORS = {
    "not base64": lambda real: "!!not a cursor!!",
    "truncated": lambda real: real[: len(real) // 2],
    "not json": lambda real: base64.urlsafe_b64encode(b"hello").decode(),
    "another sort": lambda real: _cursor({"s": "age", "v": ["2030-01-01T00:00:00+00:00", 1], "b": False}),
    "date edited": lambda real: _cursor({"s": "updated", "v": ["yesterday", 1], "b": False}),
    "id edited": lambda real: _cursor({"s": "updated", "v": ["2030-01-01T00:00:00+00:00", "1 OR 1=1"], "b": False}),
    "direction edited": lambda real: _cursor({"s": "updated", "v": ["2030-01-01T00:00:00+00:00", 1], "b": "yes"}),
    "key missing": lambda real: _cursor({"s": "updated", "v": [1], "b": False}),
}


@pytest.mark.parametrize("tamper", TAMPERED_CURSORS, ids=list(TAMPERED_CURSORS))
def test_a_tampered_cursor_is_reported_at_cursor(world, api, seven_requests, tamper):
    client = api(world.requester)
    real = parse_qs(urlsplit(client.get(api_url("requests") + "?page_size=3").json()["next"]).query)["cursor"][0]

    errors = errors_of(client.get(api_url("requests"), {"cursor": TAMPERED_CURSORS[tamper](real)}))

    assert list(errors) == ["cursor"]


# --- the queue: the web's filters and sorts ----------------------------------------------------

NOW = datetime(2030, 1, 9, 14, 0, tzinfo=UTC)  # a Wednesday; IT works 09:00-17:00 UTC (the default calendar)

SCREEN, PRINTER, KEYBOARD, DOCK, PASSWORD, PAYROLL = (
    "Screen flickers",
    "Printer jammed",
    "Keyboard",
    "Docking station",
    "Password reset",
    "Payroll tool down",
)


def file_at(
    when: datetime, service: Any, requester: Any, title: str, priority: str | None = None, **values: Any
) -> ServiceRequest:
    with time_machine.travel(when, tick=False):
        return services.request_file(
            service=service, requester=requester, title=title, values=values, priority=priority
        )


@pytest.fixture
def busy_queue(world: Any) -> Any:
    """The IT queue seen on Wednesday at 14:00: every filter below keeps some rows and drops others."""
    software = factories.make_service(world.it, "Software install", slug="software-install")
    from_hr = factories.make_user("hrperson")
    Profile.objects.create(user=from_hr, department=world.hr)
    monday, tuesday, wednesday = (NOW.replace(day=day) for day in (7, 8, 9))

    file_at(monday.replace(hour=9), world.laptop, world.requester, SCREEN)  # breached at 13:00 Monday
    file_at(wednesday.replace(hour=10, minute=40), world.laptop, world.colleague, PRINTER)  # at risk
    high = file_at(wednesday.replace(hour=13, minute=30), world.laptop, world.requester, KEYBOARD, Priority.HIGH)
    waiting = file_at(tuesday.replace(hour=16), world.laptop, world.colleague, DOCK, Priority.LOW)
    resolved = file_at(tuesday.replace(hour=10), world.laptop, world.requester, PASSWORD)
    critical = file_at(wednesday.replace(hour=11), software, from_hr, PAYROLL, Priority.CRITICAL)
    file_at(tuesday.replace(hour=11), world.certificate, world.requester, "HR only", purpose="Bank")
    with time_machine.travel(wednesday.replace(hour=13, minute=45), tick=False):
        services.request_claim(service_request=high, by=world.agent)
        services.request_assign(service_request=critical, assignee=world.lead, by=world.lead)
        services.request_change_status(service_request=waiting, to_status=Status.WAITING, by=world.agent)
        services.request_resolve(service_request=resolved, by=world.lead, resolution_note="Reset.")
    with time_machine.travel(NOW, tick=False):
        yield software


# Each filter's query parameters and the titles it shows, in the default order (nearest due time first).
QUEUE_FILTERS: dict[str, tuple[Any, list[str]]] = {
    "status=waiting": (lambda world, software: {"status": "waiting"}, [DOCK]),
    "status=resolved": (lambda world, software: {"status": "resolved"}, [PASSWORD]),
    "priority=critical": (lambda world, software: {"priority": "critical"}, [PAYROLL]),
    "sla=breached": (lambda world, software: {"sla": "breached"}, [SCREEN, PAYROLL]),
    "sla=at_risk": (lambda world, software: {"sla": "at_risk"}, [PRINTER]),
    "sla=on_track": (lambda world, software: {"sla": "on_track"}, [KEYBOARD]),
    "sla=paused": (lambda world, software: {"sla": "paused"}, [DOCK]),
    "assignee=unassigned": (lambda world, software: {"assignee": "unassigned"}, [SCREEN, PRINTER, DOCK]),
    "assignee=mine": (lambda world, software: {"assignee": "mine"}, [KEYBOARD]),
    "assignee=a person": (lambda world, software: {"assignee": str(world.lead.pk)}, [PAYROLL]),
    "service": (lambda world, software: {"service": str(software.pk)}, [PAYROLL]),
    "requester_department": (lambda world, software: {"requester_department": str(world.hr.pk)}, [PAYROLL]),
    "created_from": (lambda world, software: {"created_from": "2030-01-09"}, [PAYROLL, PRINTER, KEYBOARD]),
    "created_to": (
        lambda world, software: {"created_to": "2030-01-08", "status": "all"},
        [SCREEN, DOCK, PASSWORD],
    ),
    "due_to": (lambda world, software: {"due_to": "2030-01-08"}, [SCREEN]),
    "due range": (
        lambda world, software: {"due_from": "2030-01-09", "due_to": "2030-01-09"},
        [PAYROLL, PRINTER, KEYBOARD, DOCK],
    ),
    "q=word": (lambda world, software: {"q": "printer"}, [PRINTER]),
    "q=prefix of a word": (lambda world, software: {"q": "payr"}, [PAYROLL]),
    "q=reference": (
        lambda world, software: {"q": ServiceRequest.objects.get(title=KEYBOARD).reference},
        [KEYBOARD],
    ),
    "combined, sorted by priority": (
        lambda world, software: {"status": "all", "assignee": "unassigned", "sort": "priority"},
        [SCREEN, PASSWORD, PRINTER, DOCK],
    ),
}
# Every request of the IT queue, in each sort's order (status=all).
SORTS = {
    "due": [SCREEN, PAYROLL, PRINTER, KEYBOARD, DOCK, PASSWORD],  # no running clock (resolved) last
    "priority": [PAYROLL, KEYBOARD, SCREEN, PASSWORD, PRINTER, DOCK],  # then oldest first
    "age": [SCREEN, PASSWORD, DOCK, PRINTER, PAYROLL, KEYBOARD],
    "newest": [KEYBOARD, PAYROLL, PRINTER, DOCK, PASSWORD, SCREEN],
    "updated": [PAYROLL, PASSWORD, DOCK, KEYBOARD, PRINTER, SCREEN],  # the four changed at 13:45: newest id first
}


def titles(references: list[str]) -> list[str]:
    by_reference = dict(ServiceRequest.objects.values_list("reference", "title"))
    return [by_reference[reference] for reference in references]


def web_queue(client: Any, department: Any, params: dict[str, str]) -> list[str]:
    response = client.get(reverse("requests_app:queue", args=[department.slug]), params)
    assert response.status_code == 200
    assert not response.context["form"].errors
    return [sr.reference for sr in response.context["rows"]]


def api_queue(client: Any, department: Any, params: dict[str, str], page_size: int = 2) -> list[str]:
    query = "&".join(f"{key}={value}" for key, value in {**params, "page_size": page_size}.items())
    pages = follow(client, api_url("queue", slug=department.slug) + "?" + query, "next")
    return [ref for page in pages for ref in page]


@pytest.fixture
def both_queues(world: Any, api: Any, client_for: Any, settings: Any) -> Any:
    """``both_queues(params)``: the agent's IT queue through the web page and through the API (paged by 2)."""
    settings.QUEUE_PAGE_SIZE = 100
    web, rest = client_for(world.agent), api(world.agent, token=True)
    return lambda params: (web_queue(web, world.it, params), api_queue(rest, world.it, params))


@pytest.mark.parametrize("name", QUEUE_FILTERS, ids=list(QUEUE_FILTERS))
def test_the_api_queue_filters_like_the_web_queue(world, busy_queue, both_queues, name):
    params, expected = QUEUE_FILTERS[name]

    web, api = both_queues(params(world, busy_queue))

    assert api == web
    assert titles(api) == expected


@pytest.mark.parametrize("sort", SORTS)
def test_the_api_queue_sorts_like_the_web_queue(world, busy_queue, both_queues, sort):
    web, api = both_queues({"status": "all", "sort": sort})

    assert api == web
    assert titles(api) == SORTS[sort]


def test_the_queue_defaults_to_active_requests_by_nearest_due_time(world, busy_queue, both_queues):
    web, api = both_queues({})

    assert api == web
    assert titles(api) == [SCREEN, PAYROLL, PRINTER, KEYBOARD, DOCK]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"sla": "late"}, "sla"),
        ({"assignee": "everyone"}, "assignee"),
        ({"service": "9999"}, "service"),
        ({"requester_department": "x"}, "requester_department"),
        ({"created_from": "2030-13-01"}, "created_from"),
        ({"due_from": "2030-01-09", "due_to": "2030-01-08"}, "due_to"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_a_bad_queue_filter_is_reported_at_its_field(world, api, params, field):
    errors = errors_of(api(world.agent).get(api_url("queue", slug=world.it.slug), params))

    assert list(errors) == [field]


def test_the_queue_refuses_an_assignee_who_is_not_in_the_department(world, api):
    errors = errors_of(api(world.agent).get(api_url("queue", slug=world.it.slug), {"assignee": world.other_agent.pk}))

    assert list(errors) == ["assignee"]


def test_a_queue_cursor_from_another_sort_is_reported_at_cursor(world, api, busy_queue):
    client = api(world.agent)
    by_age = client.get(api_url("queue", slug=world.it.slug), {"sort": "age", "page_size": 1}).json()["next"]
    cursor = parse_qs(urlsplit(by_age).query)["cursor"][0]

    response = client.get(api_url("queue", slug=world.it.slug), {"sort": "priority", "cursor": cursor})

    assert list(errors_of(response)) == ["cursor"]


def test_a_tampered_queue_cursor_is_reported_at_cursor(world, api, busy_queue):
    response = api(world.agent).get(api_url("queue", slug=world.it.slug), {"cursor": "eyJzIjoiZHVlIn0"})

    assert list(errors_of(response)) == ["cursor"]


def test_queue_rows_carry_their_sla_badge(world, api, busy_queue):
    rows = api(world.agent).get(api_url("queue", slug=world.it.slug), {"page_size": 100}).json()["results"]

    badges = {row["title"]: row["sla"]["badge"]["state"] for row in rows}
    assert badges == {SCREEN: "breached", PAYROLL: "breached", PRINTER: "at_risk", KEYBOARD: "on_track", DOCK: "paused"}


# --- the workflow ------------------------------------------------------------------------------


@pytest.fixture
def laptop_request(world: Any) -> ServiceRequest:
    return factories.make_request(
        world.laptop, world.requester, title="Laptop is slow", asset_tag="LT-1", reason="Slow"
    )


def act(client: Any, sr: ServiceRequest, action: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(api_url(f"request_{action}", reference=sr.reference), payload or {}, format="json")


def events(sr: ServiceRequest, kind: str | None = None) -> list[tuple[str, str, str]]:
    qs = RequestEvent.objects.filter(request=sr).order_by("created_at", "id")
    if kind:
        qs = qs.filter(kind=kind)
    return [(e.kind, e.from_value, e.to_value) for e in qs]


def test_a_request_walks_the_workflow_through_the_api(world, api, laptop_request):
    client = api(world.agent)
    steps = [
        {"status": Status.WAITING},
        {"status": Status.OPEN},
        {"status": Status.RESOLVED, "note": "Replaced the fan."},
        {"status": Status.CLOSED},
    ]

    statuses = [act(client, laptop_request, "status", step).json()["status"] for step in steps]

    assert statuses == ["waiting", "open", "resolved", "closed"]
    assert events(laptop_request)[1:] == [
        ("status", "new", "waiting"),
        ("status", "waiting", "open"),
        ("resolved", "open", "resolved"),
        ("status", "resolved", "closed"),
    ]
    laptop_request.refresh_from_db()
    assert laptop_request.resolution_note == "Replaced the fan."


def test_a_resolved_request_is_reopened_with_a_reopened_event(world, api, laptop_request):
    client = api(world.agent)
    act(client, laptop_request, "status", {"status": Status.RESOLVED, "note": "Done."})

    response = act(client, laptop_request, "status", {"status": Status.OPEN})

    assert response.json()["status"] == "open"
    assert events(laptop_request)[-1] == ("reopened", "resolved", "open")


ILLEGAL = [
    ([], Status.CLOSED),
    ([{"status": Status.RESOLVED, "note": "Done."}], Status.WAITING),
    ([{"status": Status.RESOLVED, "note": "Done."}, {"status": Status.CLOSED}], Status.OPEN),
    ([{"status": Status.CANCELLED}], Status.OPEN),
    ([{"status": Status.CANCELLED}], Status.RESOLVED),
]


@pytest.mark.parametrize(
    ("before", "to_status"),
    ILLEGAL,
    ids=["new-closed", "resolved-waiting", "closed-open", "cancelled-open", "cancelled-resolved"],
)
def test_an_illegal_transition_is_a_conflict_and_changes_nothing(world, api, laptop_request, before, to_status):
    client = api(world.lead)
    for step in before:
        assert act(client, laptop_request, "status", step).status_code == 200
    laptop_request.refresh_from_db()
    status, history = laptop_request.status, events(laptop_request)

    response = act(client, laptop_request, "status", {"status": to_status, "note": "Again."})

    assert errors_of(response, 409) == {}
    laptop_request.refresh_from_db()
    assert (laptop_request.status, events(laptop_request)) == (status, history)


def test_resolving_without_a_note_is_reported_at_the_note(world, api, laptop_request):
    response = act(api(world.agent), laptop_request, "status", {"status": Status.RESOLVED, "note": "  "})

    assert list(errors_of(response)) == ["resolution_note"]


@pytest.mark.parametrize("payload", [{"status": "done"}, {}, {"status": None}], ids=["unknown", "missing", "null"])
def test_an_unknown_status_is_reported_at_status(world, api, laptop_request, payload):
    assert list(errors_of(act(api(world.agent), laptop_request, "status", payload))) == ["status"]


def test_a_change_made_meanwhile_by_someone_else_is_a_conflict(world, api, laptop_request, monkeypatch):
    """The agent's client read the request as new; a colleague put it on waiting before the write."""
    real_lookup = api_views.get_request_for_user
    raced: list[bool] = []

    def lookup_then_colleague_acts(user: Any, reference: str, queryset: Any = None) -> ServiceRequest:
        sr = real_lookup(user, reference, queryset)
        if not raced:
            raced.append(True)
            services.request_change_status(
                service_request=ServiceRequest.objects.get(pk=sr.pk), to_status=Status.WAITING, by=world.lead
            )
        return sr

    monkeypatch.setattr(api_views, "get_request_for_user", lookup_then_colleague_acts)

    response = act(api(world.agent), laptop_request, "status", {"status": Status.OPEN})

    assert errors_of(response, 409) == {}
    laptop_request.refresh_from_db()
    assert laptop_request.status == Status.WAITING
    assert events(laptop_request, "status") == [("status", "new", "waiting")]


def test_the_lead_assigns_an_agent_and_the_request_opens(world, api, laptop_request):
    response = act(api(world.lead), laptop_request, "assign", {"assignee": world.agent.pk})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["assignee"]["username"], body["status"]) == (world.agent.username, "open")
    assert events(laptop_request)[1:] == [("assigned", "unassigned", "Agent Tester"), ("status", "new", "open")]


def test_the_lead_unassigns_with_null(world, api, laptop_request):
    client = api(world.lead)
    act(client, laptop_request, "assign", {"assignee": world.agent.pk})

    response = act(client, laptop_request, "assign", {"assignee": None})

    assert response.json()["assignee"] is None
    assert events(laptop_request, "assigned")[-1] == ("assigned", "Agent Tester", "unassigned")


@pytest.mark.parametrize(
    "assignee",
    [lambda world: world.colleague.pk, lambda world: world.other_agent.pk, lambda world: 987654, lambda world: "me"],
    ids=["not a member", "member of another department", "unknown id", "not an id"],
)
def test_assigning_someone_who_cannot_work_on_it_is_reported_at_assignee(world, api, laptop_request, assignee):
    response = act(api(world.lead), laptop_request, "assign", {"assignee": assignee(world)})

    assert list(errors_of(response)) == ["assignee"]
    assert events(laptop_request, "assigned") == []


def test_assigning_a_cancelled_request_is_a_conflict(world, api, laptop_request):
    services.request_cancel(service_request=laptop_request, by=world.requester)

    assert errors_of(act(api(world.lead), laptop_request, "assign", {"assignee": world.agent.pk}), 409) == {}


def test_changing_the_priority_moves_the_due_times_and_is_recorded(world, api, laptop_request):
    before = laptop_request.resolution_due_at

    response = act(api(world.agent), laptop_request, "priority", {"priority": Priority.CRITICAL})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["priority"] == "critical"
    assert datetime.fromisoformat(body["resolution_due_at"]) < before
    assert events(laptop_request, "priority") == [("priority", "normal", "critical")]


def test_an_unknown_priority_is_reported_at_priority(world, api, laptop_request):
    assert list(errors_of(act(api(world.agent), laptop_request, "priority", {"priority": "asap"}))) == ["priority"]


def test_changing_the_priority_of_a_closed_request_is_a_conflict(world, api, laptop_request):
    services.request_cancel(service_request=laptop_request, by=world.requester)

    assert errors_of(act(api(world.agent), laptop_request, "priority", {"priority": "high"}), 409) == {}


def test_the_requester_replies_and_the_reply_is_recorded(world, api, laptop_request):
    response = act(api(world.requester), laptop_request, "comments", {"body": "It is *very* slow."})

    assert response.status_code == 201, response.content
    comment = response.json()["comments"][-1]
    assert (comment["author"]["username"], comment["body"], comment["internal"]) == (
        world.requester.username,
        "It is *very* slow.",
        False,
    )
    assert [kind for kind, _, _ in events(laptop_request)] == ["filed", "reply"]


def test_an_agent_adds_an_internal_note(world, api, laptop_request):
    response = act(api(world.agent), laptop_request, "comments", {"body": "Check warranty", "internal": True})

    assert response.status_code == 201, response.content
    assert response.json()["comments"][-1]["internal"] is True
    assert RequestEvent.objects.get(request=laptop_request, kind=EventKind.NOTE).internal is True


def test_the_requesters_reply_while_waiting_puts_the_request_back_to_open(world, api, laptop_request):
    services.request_change_status(service_request=laptop_request, to_status=Status.WAITING, by=world.agent)

    response = act(api(world.requester), laptop_request, "comments", {"body": "Here is the serial number."})

    assert response.json()["status"] == "open"


@pytest.mark.parametrize("payload", [{"body": "   "}, {}, {"body": "x" * 20_001}], ids=["blank", "missing", "too long"])
def test_a_comment_without_a_proper_body_is_reported_at_body(world, api, laptop_request, payload):
    assert list(errors_of(act(api(world.requester), laptop_request, "comments", payload))) == ["body"]


def test_commenting_on_a_cancelled_request_is_a_conflict(world, api, laptop_request):
    services.request_cancel(service_request=laptop_request, by=world.requester)

    assert errors_of(act(api(world.requester), laptop_request, "comments", {"body": "Hello?"}), 409) == {}


def test_the_requester_cancels_and_the_cancellation_is_recorded(world, api, laptop_request):
    response = act(api(world.requester), laptop_request, "cancel")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert events(laptop_request)[-1] == ("cancelled", "new", "cancelled")


@pytest.mark.parametrize("first", ["cancel", "resolve"])
def test_cancelling_a_request_that_is_no_longer_active_is_a_conflict(world, api, laptop_request, first):
    if first == "cancel":
        services.request_cancel(service_request=laptop_request, by=world.requester)
    else:
        services.request_resolve(service_request=laptop_request, by=world.agent, resolution_note="Done")

    assert errors_of(act(api(world.requester), laptop_request, "cancel"), 409) == {}


# --- malformed calls ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        lambda sr: api_url("requests"),
        lambda sr: api_url("request_comments", reference=sr.reference),
        lambda sr: api_url("request_status", reference=sr.reference),
    ],
    ids=["file", "comment", "status"],
)
def test_a_malformed_json_body_is_a_json_400(world, api, laptop_request, path):
    response = api(world.agent).post(path(laptop_request), '{"body": "unfinished', content_type="application/json")

    assert errors_of(response) == {}
    assert "JSON" in response.json()["detail"]


def test_a_json_body_that_is_not_an_object_is_a_json_400(world, api, laptop_request):
    response = api(world.agent).post(
        api_url("request_comments", reference=laptop_request.reference), "[1, 2]", content_type="application/json"
    )

    assert list(errors_of(response)) == ["non_field_errors"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", lambda sr: api_url("request", reference=sr.reference)),
        ("put", lambda sr: api_url("me")),
        ("patch", lambda sr: api_url("requests")),
        ("get", lambda sr: api_url("request_cancel", reference=sr.reference)),
        ("post", lambda sr: api_url("catalog")),
    ],
    ids=["delete request", "put me", "patch requests", "get cancel", "post catalog"],
)
def test_a_wrong_method_is_a_json_405(world, api, laptop_request, method, path):
    response = getattr(api(world.agent), method)(path(laptop_request))

    assert errors_of(response, 405) == {}
    assert method.upper() in response.json()["detail"]
    assert "Allow" in response


def test_an_unsupported_content_type_is_a_json_415(world, api, laptop_request):
    response = api(world.requester).post(
        api_url("request_comments", reference=laptop_request.reference), "body=hi", content_type="text/plain"
    )

    assert errors_of(response, 415) == {}


def test_timestamps_are_iso_8601_with_a_time_zone(world, api, laptop_request):
    body = api(world.requester).get(api_url("request", reference=laptop_request.reference)).json()

    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert abs(created - laptop_request.created_at) < timedelta(seconds=1)


def test_the_lead_assigns_another_agent_of_the_department(world, api, laptop_request):
    peer = factories.make_user("peer")
    factories.add_member(peer, world.it, Role.AGENT)

    response = act(api(world.lead), laptop_request, "assign", {"assignee": peer.pk})

    assert response.json()["assignee"]["username"] == "peer"


def test_a_file_field_given_text_in_json_is_refused_at_its_field(world, api):
    client = api(world.requester)
    body = {
        "service": world.laptop.pk,
        "title": "Photo as text",
        "values": {"asset_tag": "LT-1", "reason": "Slow", "photo": "C:/Users/me/photo.png"},
    }

    response = client.post(reverse("api:requests"), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "values.photo": ["A file field takes a file: send multipart/form-data with files.photo."]
    }
    assert not ServiceRequest.objects.exists()
