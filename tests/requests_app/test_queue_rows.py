"""Claiming and assigning from a queue row: the HTMX row actions of the queue, and the plain forms behind them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from requests_app import services
from requests_app.models import ServiceRequest

from .triage_helpers import new_request, reload

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


HTMX = {"HX-Request": "true"}
ROW_START = re.compile(r'^\s*<tr id="row-([A-Z]+-\d+)">')


def from_row(client: Any, action: str, sr: ServiceRequest, *, htmx: bool = True, **data: Any) -> Any:
    data = {"from_row": "1", "next": "/queues/it/?assignee=unassigned", **data}
    url = reverse(f"requests_app:request_{action}", args=[sr.reference])
    return client.post(url, data, headers=HTMX if htmx else {})


def assignee_cell(row: str) -> str:
    cell = row.split('class="assignee-cell">')[1].split("</td>")[0].split("<form")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()


def test_claiming_from_a_queue_row_returns_the_row_with_the_new_assignee(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.agent), "claim", sr)

    row = response.content.decode()
    assert response.status_code == 200
    assert ROW_START.match(row).group(1) == sr.reference
    assert "<html" not in row
    assert assignee_cell(row) == "Agent Tester"
    assert ">Open</span>" in row
    assert reload(sr).assignee == world.agent


def test_a_lead_assigns_from_a_queue_row(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.lead), "assign", sr, assignee=world.agent.pk)

    row = response.content.decode()
    assert response.status_code == 200
    assert ROW_START.match(row).group(1) == sr.reference
    assert assignee_cell(row) == "Agent Tester"
    assert f'data-current="{world.agent.pk}"' in row  # queue.js selects it in the row's assign menu
    assert reload(sr).assignee == world.agent


def test_a_lead_unassigns_from_a_queue_row(world, client_for):
    sr = new_request(world)
    services.request_claim(service_request=sr, by=world.agent)

    response = from_row(client_for(world.lead), "assign", sr, assignee="")

    assert response.status_code == 200
    assert "Unassigned" in assignee_cell(response.content.decode())
    assert reload(sr).assignee is None


def test_a_refused_claim_returns_the_row_with_the_reason(world, client_for):
    sr = new_request(world)
    services.request_cancel(service_request=sr, by=world.requester)

    response = from_row(client_for(world.agent), "claim", sr)

    row = response.content.decode()
    assert response.status_code == 409
    assert ROW_START.match(row).group(1) == sr.reference
    assert re.search(r'role="alert">A closed or cancelled request cannot be reassigned.<', row)
    assert reload(sr).assignee is None


def test_assigning_someone_outside_the_department_from_a_row_returns_the_row_with_the_reason(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.lead), "assign", sr, assignee=world.other_agent.pk)

    row = response.content.decode()
    assert response.status_code == 400
    assert ROW_START.match(row).group(1) == sr.reference
    assert "Select a valid choice" in row
    assert reload(sr).assignee is None


def test_an_agent_cannot_assign_others_from_a_row(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.agent), "assign", sr, assignee=world.lead.pk)

    assert response.status_code == 403
    assert reload(sr).assignee is None


def test_the_queue_rows_carry_the_htmx_claim_and_a_plain_form_behind_it(world, client_for):
    sr = new_request(world)

    page = client_for(world.lead).get(reverse("requests_app:queue", args=["it"]), {"assignee": "unassigned"})

    claim = reverse("requests_app:request_claim", args=[sr.reference])
    text = page.content.decode()
    assert f'<form method="post" action="{claim}" hx-post="{claim}"' in text
    assert '<input type="hidden" name="next" value="/queues/it/?assignee=unassigned">' in text
    assert f'hx-target="#row-{sr.reference}"' in text


def test_without_javascript_a_claim_from_the_queue_returns_to_the_queue(world, client_for):
    sr = new_request(world)
    client = client_for(world.agent)

    response = from_row(client, "claim", sr, htmx=False)

    assert response.status_code == 302
    assert response["Location"] == "/queues/it/?assignee=unassigned"
    assert "You took this request." in client.get(response["Location"]).content.decode()
    assert reload(sr).assignee == world.agent


def test_without_javascript_an_assignment_from_the_queue_returns_to_the_queue(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.lead), "assign", sr, htmx=False, assignee=world.agent.pk)

    assert response.status_code == 302
    assert response["Location"] == "/queues/it/?assignee=unassigned"


def test_without_javascript_a_link_to_another_site_is_not_followed(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.agent), "claim", sr, htmx=False, next="https://evil.example/queues/it/")

    assert response.status_code == 302
    assert response["Location"] == sr.get_absolute_url()


def test_without_javascript_a_refused_claim_shows_the_reason_on_the_request_page(world, client_for):
    sr = new_request(world)
    services.request_cancel(service_request=sr, by=world.requester)

    response = from_row(client_for(world.agent), "claim", sr, htmx=False)

    assert response.status_code == 409
    assert "A closed or cancelled request cannot be reassigned." in response.content.decode()
    assert "<html" in response.content.decode()
