"""Requesters state urgency only where the service allows it, up to its limit; the department decides the
rest. One rule for the web form, the API and the filing service (``Service.requester_priorities``).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from departments.models import Priority
from requests_app import services
from requests_app.models import ServiceRequest

from ..api.conftest import api_url, make_api_client

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

VALID_FILING = {"title": "Screen flickers", "f_asset_tag": "LT-0042", "f_reason": "Broken"}
VALID_JSON = {"title": "Screen flickers", "values": {"asset_tag": "LT-0042", "reason": "Broken"}}


@pytest.fixture
def api() -> Any:
    return make_api_client


@pytest.fixture
def up_to_high(world: Any) -> Any:
    """The laptop service lets requesters state an urgency up to high."""
    world.laptop.requester_priority_limit = Priority.HIGH
    world.laptop.save(update_fields=["requester_priority_limit"])
    return world.laptop


def service_page(world: Any) -> str:
    return reverse("requests_app:service_detail", args=[world.laptop.pk])


def urgency_options(page: str) -> list[str]:
    select = re.search(r'<select name="priority"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no urgency choice on the page"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def field_errors(page: str, field_id: str) -> list[str]:
    found = re.findall(rf'id="error_\d+_{field_id}"[^>]*>(.*?)</', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", message)).strip() for message in found]


# --- the rule -----------------------------------------------------------------------------------


def test_a_service_without_a_limit_lets_requesters_state_nothing(world):
    assert world.laptop.requester_priorities == []


def test_a_limit_allows_every_urgency_up_to_it(up_to_high):
    assert up_to_high.requester_priorities == [Priority.LOW, Priority.NORMAL, Priority.HIGH]


def test_filing_within_the_limit_stores_the_stated_urgency(world, up_to_high):
    sr = services.request_file(
        service=up_to_high, requester=world.requester, title="t", values={}, urgency=Priority.HIGH
    )

    assert (sr.priority, ServiceRequest.objects.get().priority) == ("high", "high")


def test_filing_above_the_limit_is_refused_before_anything_is_written(world, up_to_high):
    with pytest.raises(ValidationError) as refused:
        services.request_file(
            service=up_to_high, requester=world.requester, title="t", values={}, urgency=Priority.CRITICAL
        )

    assert list(refused.value.message_dict) == ["priority"]
    assert not ServiceRequest.objects.exists()


def test_filing_with_a_stated_urgency_where_none_is_allowed_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        services.request_file(service=world.laptop, requester=world.requester, title="t", values={}, urgency="low")

    assert list(refused.value.message_dict) == ["priority"]
    assert not ServiceRequest.objects.exists()


def test_without_a_stated_urgency_the_default_priority_applies(world, up_to_high):
    sr = services.request_file(service=up_to_high, requester=world.requester, title="t", values={})

    assert sr.priority == up_to_high.default_priority == "normal"


# --- the web form -------------------------------------------------------------------------------


def test_the_form_offers_no_urgency_where_the_service_allows_none(world, client_for):
    page = client_for(world.requester).get(service_page(world)).content.decode()

    assert 'name="priority"' not in page


def test_the_form_offers_urgencies_up_to_the_limit(world, client_for, up_to_high):
    page = client_for(world.requester).get(service_page(world)).content.decode()

    assert "Urgency" in page
    assert urgency_options(page) == ["", "low", "normal", "high"]


def test_the_form_files_with_the_urgency_chosen(world, client_for, up_to_high):
    response = client_for(world.requester).post(service_page(world), {**VALID_FILING, "priority": "high"})

    assert response.status_code == 302
    assert ServiceRequest.objects.get().priority == "high"


def test_the_form_refuses_an_urgency_above_the_limit_and_keeps_what_was_typed(world, client_for, up_to_high):
    response = client_for(world.requester).post(service_page(world), {**VALID_FILING, "priority": "critical"})

    page = response.content.decode()
    assert response.status_code == 400
    assert field_errors(page, "id_priority") == [
        "You may state an urgency up to High for this service; the department may change it."
    ]
    assert 'value="LT-0042"' in page
    assert not ServiceRequest.objects.exists()


def test_the_form_refuses_a_forged_urgency_where_the_service_allows_none(world, client_for):
    response = client_for(world.requester).post(service_page(world), {**VALID_FILING, "priority": "critical"})

    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "This service does not let requesters choose the priority; the department sets it." in page
    assert 'value="LT-0042"' in page
    assert not ServiceRequest.objects.exists()


# --- the API ------------------------------------------------------------------------------------


def test_the_api_refuses_a_forged_critical_priority(world, api):
    response = api(world.requester, token=True).post(
        api_url("requests"), {"service": world.laptop.pk, **VALID_JSON, "priority": "critical"}, format="json"
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"] == {
        "priority": ["This service does not let requesters choose the priority; the department sets it."]
    }
    assert body["detail"].startswith("priority: ")
    assert not ServiceRequest.objects.exists()


def test_the_api_refuses_an_urgency_above_the_limit(world, api, up_to_high):
    response = api(world.requester).post(
        api_url("requests"), {"service": up_to_high.pk, **VALID_JSON, "priority": "critical"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["priority"]
    assert not ServiceRequest.objects.exists()


def test_the_api_files_with_an_urgency_within_the_limit(world, api, up_to_high):
    response = api(world.requester).post(
        api_url("requests"), {"service": up_to_high.pk, **VALID_JSON, "priority": "high"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["priority"] == "high"
    assert ServiceRequest.objects.get().priority == "high"


def test_the_catalog_api_tells_clients_the_limit(world, api, up_to_high):
    client = api(world.requester)

    catalog = {s["slug"]: s for d in client.get(api_url("catalog")).json() for s in d["services"]}
    service = client.get(api_url("service", pk=up_to_high.pk)).json()

    assert catalog["laptop-replacement"]["requester_priority_limit"] == "high"
    assert catalog["employment-certificate"]["requester_priority_limit"] is None
    assert service["requester_priority_limit"] == "high"


def test_agents_still_change_the_priority_through_triage(world, up_to_high):
    sr = services.request_file(service=up_to_high, requester=world.requester, title="t", values={}, urgency="low")

    services.request_change_priority(service_request=sr, priority=Priority.CRITICAL, by=world.agent)

    assert ServiceRequest.objects.get().priority == "critical"


def test_admin_edits_the_limit_of_a_service(world, client_for):
    page = client_for(world.admin).get(reverse("admin:departments_service_change", args=[world.laptop.pk]))

    assert 'name="requester_priority_limit"' in page.content.decode()
