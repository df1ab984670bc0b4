"""Bad and tampered input: a clear error where it belongs, the typed values kept, nothing saved, never a 500.

The test client re-raises any exception a view lets through, so a 500 fails these tests loudly.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import FieldType
from requests_app import services
from requests_app.models import Attachment, Comment, RequestEvent, ServiceRequest, Status

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def url(name: str, *args: Any) -> str:
    return reverse(f"requests_app:{name}", args=args)


def field_errors(response: Any, field_id: str) -> list[str]:
    """The error messages crispy-forms shows under the input with this id."""
    found = re.findall(rf'id="error_\d+_{field_id}"[^>]*>(.*?)</', response.content.decode(), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", message)).strip() for message in found]


def page_messages(response: Any) -> list[str]:
    """The flash messages shown at the top of the page."""
    found = re.findall(
        r'<div class="alert [^"]*alert-dismissible[^"]*"[^>]*>(.*?)<button', response.content.decode(), re.S
    )
    return [" ".join(html.unescape(message).split()) for message in found]


def saved_rows() -> tuple[int, int, int, int]:
    return (
        ServiceRequest.objects.count(),
        Comment.objects.count(),
        RequestEvent.objects.count(),
        Attachment.objects.count(),
    )


def request_state(sr: ServiceRequest) -> tuple:
    return ServiceRequest.objects.filter(pk=sr.pk).values_list("status", "priority", "assignee_id").get()


VALID_FILING = {"title": "Screen flickers", "f_asset_tag": "LT-0042", "f_reason": "Broken", "f_needed_by": ""}


@pytest.fixture
def laptop_with_quantity(world: Any) -> Any:
    factories.add_field(world.laptop, "quantity", FieldType.NUMBER, label="Quantity")
    return world.laptop


@pytest.fixture
def it_request(world: Any) -> ServiceRequest:
    return factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")


# Filing


def test_filing_without_a_required_field_shows_the_error_there_and_keeps_the_typed_values(world, client_for):
    before = saved_rows()
    data = {**VALID_FILING, "f_asset_tag": "", "title": "Keep this title"}

    response = client_for(world.requester).post(url("service_detail", world.laptop.pk), data)

    assert response.status_code == 400
    assert field_errors(response, "id_f_asset_tag") == ["This field is required."]
    assert 'value="Keep this title"' in response.content.decode()
    assert "nothing was filed yet" in response.content.decode()
    assert saved_rows() == before


def test_filing_without_a_title_is_refused(world, client_for):
    before = saved_rows()

    response = client_for(world.requester).post(url("service_detail", world.laptop.pk), {**VALID_FILING, "title": " "})

    assert response.status_code == 400
    assert field_errors(response, "id_title") == ["This field is required."]
    assert 'value="LT-0042"' in response.content.decode()
    assert saved_rows() == before


def test_filing_with_text_in_a_number_field_is_refused(world, client_for, laptop_with_quantity):
    before = saved_rows()

    response = client_for(world.requester).post(
        url("service_detail", laptop_with_quantity.pk), {**VALID_FILING, "f_quantity": "abc"}
    )

    assert response.status_code == 400
    assert field_errors(response, "id_f_quantity") == ["Enter a number."]
    assert 'value="abc"' in response.content.decode()
    assert 'value="LT-0042"' in response.content.decode()
    assert saved_rows() == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999", "-1e-999"])
def test_filing_with_a_number_json_cannot_store_is_refused(world, client_for, laptop_with_quantity, number):
    before = saved_rows()

    response = client_for(world.requester).post(
        url("service_detail", laptop_with_quantity.pk), {**VALID_FILING, "f_quantity": number}
    )

    assert response.status_code == 400
    assert field_errors(response, "id_f_quantity")
    assert saved_rows() == before


def test_filing_with_a_malformed_date_is_refused(world, client_for):
    before = saved_rows()

    response = client_for(world.requester).post(
        url("service_detail", world.laptop.pk), {**VALID_FILING, "f_needed_by": "notadate"}
    )

    assert response.status_code == 400
    assert field_errors(response, "id_f_needed_by") == ["Enter a valid date."]
    assert 'value="notadate"' in response.content.decode()
    assert saved_rows() == before


def test_filing_with_a_choice_that_is_not_offered_is_refused(world, client_for):
    before = saved_rows()

    response = client_for(world.requester).post(
        url("service_detail", world.laptop.pk), {**VALID_FILING, "f_reason": "Hacked"}
    )

    assert response.status_code == 400
    assert field_errors(response, "id_f_reason") == [
        "Select a valid choice. Hacked is not one of the available choices."
    ]
    assert 'value="Screen flickers"' in response.content.decode()
    assert saved_rows() == before


PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def test_filing_with_a_file_over_the_size_limit_is_refused(world, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    before = saved_rows()
    big = SimpleUploadedFile("huge.png", b"x" * 101, content_type="image/png")

    response = client_for(world.requester).post(
        url("service_detail", world.laptop.pk), {**VALID_FILING, "f_photo": big}
    )

    assert response.status_code == 400
    [error] = field_errors(response, "id_f_photo")
    assert "huge.png" in error
    assert "at most 100" in error
    assert 'value="Screen flickers"' in response.content.decode()
    assert any("select them again" in message for message in page_messages(response))
    assert saved_rows() == before


def test_filing_with_a_file_at_the_size_limit_is_accepted(world, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    exact = SimpleUploadedFile("ok.png", PNG_HEADER + b"x" * (100 - len(PNG_HEADER)), content_type="image/png")

    response = client_for(world.requester).post(
        url("service_detail", world.laptop.pk), {**VALID_FILING, "f_photo": exact}
    )

    assert response.status_code == 302
    assert Attachment.objects.get().original_name == "ok.png"


@pytest.mark.parametrize("pk", [999_999, 2**63 + 1])
def test_filing_against_a_service_that_does_not_exist_is_404(world, client_for, pk):
    before = saved_rows()
    client = client_for(world.requester)

    assert client.get(url("service_detail", pk)).status_code == 404
    assert client.post(url("service_detail", pk), VALID_FILING).status_code == 404
    assert saved_rows() == before


def test_filing_against_an_inactive_service_is_404(world, client_for):
    world.laptop.is_active = False
    world.laptop.save(update_fields=["is_active"])
    before = saved_rows()

    response = client_for(world.requester).post(url("service_detail", world.laptop.pk), VALID_FILING)

    assert response.status_code == 404
    assert saved_rows() == before


# Working on a request


def test_reply_without_a_message_is_refused(world, client_for, it_request):
    before = saved_rows()

    response = client_for(world.requester).post(url("request_reply", it_request.reference), {"body": "   "})

    assert response.status_code == 400
    assert field_errors(response, "id_body") == ["This field is required."]
    assert saved_rows() == before


def test_reply_with_a_file_over_the_size_limit_is_refused_and_keeps_the_message(
    world, client_for, it_request, settings
):
    settings.ATTACHMENT_MAX_BYTES = 10
    before = saved_rows()
    big = SimpleUploadedFile("log.txt", b"y" * 11)

    response = client_for(world.agent).post(
        url("request_reply", it_request.reference), {"body": "Here is the log", "attachments": big}
    )

    assert response.status_code == 400
    [error] = field_errors(response, "id_attachments")
    assert "log.txt" in error
    assert "Here is the log" in response.content.decode()
    assert saved_rows() == before


def test_status_change_that_skips_the_workflow_is_refused(world, client_for, it_request):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).post(url("request_status", it_request.reference), {"status": Status.CLOSED})

    assert response.status_code == 409
    assert "A request that is new cannot become closed." in page_messages(response)
    assert (saved_rows(), request_state(it_request)) == before


def test_closed_request_cannot_be_opened_again(world, client_for, it_request):
    services.request_resolve(service_request=it_request, by=world.agent, resolution_note="Done")
    services.request_change_status(service_request=it_request, to_status=Status.CLOSED, by=world.agent)
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).post(url("request_status", it_request.reference), {"status": Status.OPEN})

    assert response.status_code == 409
    assert "A request that is closed cannot become open." in page_messages(response)
    assert (saved_rows(), request_state(it_request)) == before


def test_unknown_status_value_is_refused_at_the_field(world, client_for, it_request):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).post(url("request_status", it_request.reference), {"status": "done"})

    assert response.status_code == 400
    assert field_errors(response, "id_status") == ["Select a valid choice. done is not one of the available choices."]
    assert (saved_rows(), request_state(it_request)) == before


def test_resolve_without_a_note_is_refused(world, client_for, it_request):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).post(url("request_resolve", it_request.reference), {"resolution_note": "  "})

    assert response.status_code == 400
    assert field_errors(response, "id_resolution_note") == ["This field is required."]
    assert (saved_rows(), request_state(it_request)) == before


def test_resolve_through_the_status_form_without_a_note_is_refused_with_a_message(world, client_for, it_request):
    """The status form does not offer "resolved"; a tampered post must still be refused visibly."""
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).post(url("request_status", it_request.reference), {"status": Status.RESOLVED})

    assert response.status_code == 400
    assert "Say how the request was resolved; the requester reads this." in page_messages(response)
    assert (saved_rows(), request_state(it_request)) == before


def test_assigning_to_someone_outside_the_department_is_refused(world, client_for, it_request):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.lead).post(
        url("request_assign", it_request.reference), {"assignee": world.other_agent.pk}
    )

    assert response.status_code == 400
    assert field_errors(response, "id_assignee") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert (saved_rows(), request_state(it_request)) == before


@pytest.mark.parametrize("assignee", ["999999", "abc"])
def test_assigning_to_an_unknown_person_is_refused(world, client_for, it_request, assignee):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.lead).post(url("request_assign", it_request.reference), {"assignee": assignee})

    assert response.status_code == 400
    assert field_errors(response, "id_assignee")
    assert (saved_rows(), request_state(it_request)) == before


def test_unknown_priority_is_refused_at_the_field(world, client_for, it_request):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).post(url("request_priority", it_request.reference), {"priority": "urgent"})

    assert response.status_code == 400
    assert field_errors(response, "id_priority") == [
        "Select a valid choice. urgent is not one of the available choices."
    ]
    assert (saved_rows(), request_state(it_request)) == before


def test_replying_to_a_cancelled_request_is_refused(world, client_for, it_request):
    services.request_cancel(service_request=it_request, by=world.requester)
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.requester).post(url("request_reply", it_request.reference), {"body": "Wait, no"})

    assert response.status_code == 409
    assert "This request is cancelled; file a new request instead." in page_messages(response)
    assert (saved_rows(), request_state(it_request)) == before


def test_cancelling_a_resolved_request_is_refused(world, client_for, it_request):
    services.request_resolve(service_request=it_request, by=world.agent, resolution_note="Done")
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.requester).post(url("request_cancel", it_request.reference))

    assert response.status_code == 409
    assert "A request that is resolved cannot be cancelled." in page_messages(response)
    assert (saved_rows(), request_state(it_request)) == before


def test_request_that_does_not_exist_is_404(world, client_for):
    client = client_for(world.agent)

    assert client.get(url("request_detail", "IT-99999")).status_code == 404
    assert client.post(url("request_reply", "IT-99999"), {"body": "hello"}).status_code == 404


@pytest.mark.parametrize("pk", [999_999, 2**63 + 1])
def test_attachment_that_does_not_exist_is_404(world, client_for, pk):
    assert client_for(world.agent).get(url("attachment_download", pk)).status_code == 404


def test_action_urls_refuse_get(world, client_for, it_request):
    before = (saved_rows(), request_state(it_request))

    response = client_for(world.agent).get(url("request_claim", it_request.reference))

    assert response.status_code == 405
    assert (saved_rows(), request_state(it_request)) == before


@pytest.mark.parametrize(
    ("query", "field_id"),
    [
        ({"status": "bogus"}, "id_status"),
        ({"assignee": "abc"}, "id_assignee"),
        ({"service": "999999"}, "id_service"),
        ({"sort": "drop table"}, "id_sort"),
    ],
    ids=["status", "assignee", "service", "sort"],
)
def test_queue_with_a_tampered_filter_reports_it_and_shows_the_unfiltered_queue(
    world, client_for, it_request, query, field_id
):
    response = client_for(world.agent).get(url("queue", world.it.slug), query)

    assert response.status_code == 400
    assert f'id="{field_id}_error"' in response.content.decode()
    assert it_request.reference in response.content.decode()


def test_queue_with_a_malformed_page_number_shows_the_first_page(world, client_for, it_request):
    response = client_for(world.agent).get(url("queue", world.it.slug), {"page": "x"})

    assert response.status_code == 200
    assert it_request.reference in response.content.decode()


def test_reply_to_a_resolved_request_after_the_reopen_window_is_refused(world, client_for, it_request, settings):
    settings.REOPEN_WINDOW_DAYS = 2
    with time_machine.travel(datetime(2030, 1, 7, 9, 0, tzinfo=UTC), tick=False):
        services.request_resolve(service_request=it_request, by=world.agent, resolution_note="Done")
    before = (saved_rows(), request_state(it_request))

    with time_machine.travel(datetime(2030, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        response = client_for(world.requester).post(
            url("request_reply", it_request.reference), {"body": "Broken again"}
        )

    assert response.status_code == 409
    [message] = page_messages(response)
    assert "more than 2 days ago" in message
    assert "file a new request" in message
    assert "Broken again" in response.content.decode()
    assert (saved_rows(), request_state(it_request)) == before


def test_markup_typed_by_people_is_shown_as_text(world, client_for):
    client = client_for(world.requester)
    title = '<script>alert("t")</script> & co'
    response = client.post(url("service_detail", world.laptop.pk), {**VALID_FILING, "title": title})
    sr = ServiceRequest.objects.get()
    client.post(url("request_reply", sr.reference), {"body": '<img src=x onerror="alert(1)"> [x](javascript:alert(2))'})

    page = client.get(response["Location"]).content.decode()

    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; co" in page
    assert "<script>alert" not in page
    assert "onerror" not in page
    assert "javascript:" not in page
