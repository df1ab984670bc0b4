"""Canned responses (``requests_app.canned`` and its views): placeholders filled in for the request and the
agent, validated on save, offered only to the department."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from departments.models import CannedResponse
from requests_app import services
from requests_app.models import ServiceRequest

from .. import factories
from .triage_helpers import new_request

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


EVERY_PLACEHOLDER = (
    "Hi {{ requester_first_name }} ({{requester_name}}), about {{ reference }} “{{ title }}” "
    "({{ service }}, {{ department }}). {{ agent_first_name }} / {{  agent_name  }}"
)


@pytest.fixture
def canned(world: Any) -> CannedResponse:
    return CannedResponse.objects.create(department=world.it, title="Greeting", body=EVERY_PLACEHOLDER)


def canned_text(client: Any, sr: ServiceRequest, canned: CannedResponse) -> Any:
    return client.get(reverse("requests_app:canned_response_text", args=[sr.reference, canned.pk]))


def test_a_canned_response_is_filled_in_for_the_request_and_the_agent(world, client_for, canned):
    sr = new_request(world, "Screen flickers")

    response = canned_text(client_for(world.agent), sr, canned)

    assert response.status_code == 200
    assert response.json() == {
        "title": "Greeting",
        "body": f"Hi Requester (Requester Tester), about {sr.reference} “Screen flickers” "
        "(Laptop replacement, IT). Agent / Agent Tester",
    }


def test_a_canned_response_names_whichever_agent_inserts_it(world, client_for, canned):
    sr = new_request(world)

    body = canned_text(client_for(world.lead), sr, canned).json()["body"]

    assert body.endswith("Lead / Lead Tester")


def test_a_requester_without_a_first_name_is_greeted_by_user_name(world, client_for, canned):
    nameless = factories.make_user("jdoe", first_name="", last_name="")
    sr = new_request(world, requester=nameless)

    body = canned_text(client_for(world.agent), sr, canned).json()["body"]

    assert body.startswith("Hi jdoe (jdoe),")


def test_placeholders_inside_the_requests_own_text_are_not_filled_in(world, client_for, canned):
    sr = new_request(world, "{{ agent_name }} please")

    body = canned_text(client_for(world.agent), sr, canned).json()["body"]

    assert "“{{ agent_name }} please”" in body


def test_an_unknown_placeholder_is_refused_by_validation(world):
    response = CannedResponse(department=world.it, title="Leaky", body="Your password is {{ secret_key }}.")

    with pytest.raises(ValidationError) as refused:
        response.full_clean()

    assert "Unknown placeholder secret_key" in str(refused.value.message_dict["body"])


def test_admin_refuses_a_canned_response_with_an_unknown_placeholder(world, client_for):
    response = client_for(world.admin).post(
        reverse("admin:departments_cannedresponse_add"),
        {"department": world.it.pk, "title": "Leaky", "body": "Hello {{ user.password }} and {{ settings }}"},
    )

    assert response.status_code == 200
    assert "Unknown placeholder settings" in response.content.decode()
    assert not CannedResponse.objects.exists()


def test_admin_accepts_a_canned_response_with_known_placeholders(world, client_for):
    response = client_for(world.admin).post(
        reverse("admin:departments_cannedresponse_add"),
        {"department": world.it.pk, "title": "Greeting", "body": EVERY_PLACEHOLDER},
    )

    assert response.status_code == 302
    assert CannedResponse.objects.get().body == EVERY_PLACEHOLDER


@pytest.mark.parametrize("persona", ["requester", "colleague", "other_agent"])
def test_canned_responses_are_only_for_agents_of_the_department(world, client_for, canned, persona):
    sr = new_request(world)
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)

    response = canned_text(client_for(getattr(world, persona)), sr, canned)

    assert response.status_code == 404


def test_another_departments_canned_response_is_not_found(world, client_for):
    hr_only = CannedResponse.objects.create(department=world.hr, title="HR", body="Hello {{ requester_first_name }}")
    sr = new_request(world)

    assert canned_text(client_for(world.agent), sr, hr_only).status_code == 404


def test_the_department_gets_a_picker_of_its_canned_responses(world, client_for, canned):
    CannedResponse.objects.create(department=world.hr, title="HR greeting", body="Hello")
    sr = new_request(world)
    client = client_for(world.agent)

    page = client.get(sr.get_absolute_url()).content.decode()
    picker = client.get(reverse("requests_app:canned_response_list", args=[sr.reference]))

    assert f'hx-get="{reverse("requests_app:canned_response_list", args=[sr.reference])}"' in page
    url = reverse("requests_app:canned_response_text", args=[sr.reference, canned.pk])
    assert picker.status_code == 200
    assert f'<option value="{url}">Greeting</option>' in picker.content.decode()
    assert "HR greeting" not in picker.content.decode()


@pytest.mark.parametrize("persona", ["requester", "colleague", "other_agent"])
def test_nobody_outside_the_department_gets_the_canned_responses_picker(world, client_for, canned, persona):
    sr = new_request(world)
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)
    client = client_for(getattr(world, persona))

    response = client.get(reverse("requests_app:canned_response_list", args=[sr.reference]))

    assert response.status_code == 404
    if persona != "other_agent":
        assert 'id="canned-responses"' not in client.get(sr.get_absolute_url()).content.decode()
