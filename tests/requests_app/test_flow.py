"""The request life cycle through the web pages, with real forms, real POSTs and the mails they send."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import FieldType, Role
from requests_app.models import Attachment, ServiceRequest, Status

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PHOTO = b"\x89PNG\r\n\x1a\n fake image bytes"


def url(name: str, *args: Any) -> str:
    return reverse(f"requests_app:{name}", args=args)


def history(response: Any) -> list[str]:
    """The history list as plain lines: "Actor Name: Kind from → to" (timestamps left out)."""
    block = re.search(r'<ol[^>]*id="history"[^>]*>(.*?)</ol>', response.content.decode(), re.S)
    assert block, "the page has no history list"
    lines = []
    for item in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S):
        item = re.sub(r"<time[^>]*>.*?</time>", "", item, flags=re.S)
        lines.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()).replace(" :", ":"))
    return lines


def recipients(message: Any) -> set[str]:
    return set(message.to)


def file_laptop_request(client: Any, submit: Any, world: Any, title: str = "Screen flickers") -> ServiceRequest:
    response = submit(
        client,
        url("service_detail", world.laptop.pk),
        {
            "title": title,
            "f_asset_tag": "LT-0042",
            "f_reason": "Broken",
            "f_needed_by": "2030-01-15",
            "f_photo": SimpleUploadedFile("damage.png", PHOTO, content_type="image/png"),
        },
    )
    sr = ServiceRequest.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == sr.get_absolute_url()
    return sr


def test_request_goes_from_filing_to_closed_through_the_web_pages(world, client_for, submit):
    requester = client_for(world.requester)
    agent = client_for(world.agent)
    lead = client_for(world.lead)

    # Filing: the service page shows the form; posting it with a file files the request.
    assert requester.get(url("service_detail", world.laptop.pk)).status_code == 200
    sr = file_laptop_request(requester, submit, world)
    assert sr.reference == "IT-1001"
    assert sr.status == Status.NEW
    assert sr.values == {"asset_tag": "LT-0042", "reason": "Broken", "needed_by": "2030-01-15", "photo": "damage.png"}
    [filed_mail] = mail.outbox
    assert recipients(filed_mail) == {"agent@example.com", "lead@example.com"}
    assert "IT-1001" in filed_mail.subject

    # It is listed in My requests.
    listing = requester.get(url("my_requests"))
    assert listing.status_code == 200
    assert "IT-1001" in listing.content.decode()
    assert "Screen flickers" in listing.content.decode()

    # The request page shows the values and links the attachment; requester and agent can download it.
    attachment = Attachment.objects.get(request=sr)
    page = requester.get(sr.get_absolute_url()).content.decode()
    for shown in ("LT-0042", "Broken", "2030-01-15", "Screen flickers"):
        assert shown in page
    assert f'href="{attachment.get_absolute_url()}"' in page
    assert "damage.png" in page
    for client in (requester, agent):
        download = client.get(attachment.get_absolute_url())
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PHOTO
        assert "damage.png" in download["Content-Disposition"]

    # The agent takes it: new → open, assigned to the agent.
    assert submit(agent, url("request_claim", sr.reference)).status_code == 302
    sr.refresh_from_db()
    assert (sr.status, sr.assignee) == (Status.OPEN, world.agent)

    # The lead hands it to another member of IT.
    second_agent = factories.make_user("second")
    factories.add_member(second_agent, world.it, Role.AGENT)
    assert submit(lead, url("request_assign", sr.reference), {"assignee": second_agent.pk}).status_code == 302
    sr.refresh_from_db()
    assert sr.assignee == second_agent
    second = client_for(second_agent)

    # An internal note: visible to staff, not to the requester, and no mail.
    sent = len(mail.outbox)
    note = {"body": "Check the warranty first", "internal": "on"}
    assert submit(agent, url("request_reply", sr.reference), note).status_code == 302
    assert len(mail.outbox) == sent
    assert "Check the warranty first" in second.get(sr.get_absolute_url()).content.decode()
    assert "Check the warranty first" not in requester.get(sr.get_absolute_url()).content.decode()

    # A public reply from the assignee: mailed to the requester; the first-response clock stops.
    reply = {"body": "Which model is it?"}
    assert submit(second, url("request_reply", sr.reference), reply).status_code == 302
    [reply_mail] = mail.outbox[sent:]
    assert recipients(reply_mail) == {"requester@example.com"}
    assert "Which model is it?" in reply_mail.body
    sr.refresh_from_db()
    assert sr.first_responded_at is not None
    assert "Which model is it?" in requester.get(sr.get_absolute_url()).content.decode()

    # Waiting on the requester; their reply resumes the work and goes to the assignee.
    assert submit(second, url("request_status", sr.reference), {"status": Status.WAITING}).status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.WAITING
    sent = len(mail.outbox)
    assert submit(requester, url("request_reply", sr.reference), {"body": "A ThinkPad X1"}).status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.OPEN
    [answer_mail] = mail.outbox[sent:]
    assert recipients(answer_mail) == {"second@example.com"}

    # More status changes by staff, then resolution with a note mailed to the requester.
    assert submit(second, url("request_status", sr.reference), {"status": Status.WAITING}).status_code == 302
    assert submit(second, url("request_status", sr.reference), {"status": Status.OPEN}).status_code == 302
    sent = len(mail.outbox)
    resolution = {"resolution_note": "Replaced the screen."}
    assert submit(second, url("request_resolve", sr.reference), resolution).status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.RESOLVED
    assert sr.resolved_at is not None
    [resolved_mail] = mail.outbox[sent:]
    assert recipients(resolved_mail) == {"requester@example.com"}
    assert "Replaced the screen." in resolved_mail.body
    assert "Replaced the screen." in requester.get(sr.get_absolute_url()).content.decode()

    # Closing.
    assert submit(second, url("request_status", sr.reference), {"status": Status.CLOSED}).status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.CLOSED
    assert sr.closed_at is not None

    # The history says who changed what, from what to what; the requester does not see the note.
    expected = [
        "Requester Tester: Filed IT-1001",
        "Agent Tester: Assignee changed unassigned → Agent Tester",
        "Agent Tester: Status changed new → open",
        "Lead Tester: Assignee changed Agent Tester → Second Tester",
        "Agent Tester: Internal note",
        "Second Tester: Public reply",
        "Second Tester: Status changed open → waiting",
        "Requester Tester: Status changed waiting → open",
        "Requester Tester: Public reply",
        "Second Tester: Status changed open → waiting",
        "Second Tester: Status changed waiting → open",
        "Second Tester: Resolved open → resolved",
        "Second Tester: Status changed resolved → closed",
    ]
    assert history(agent.get(sr.get_absolute_url())) == expected
    assert history(requester.get(sr.get_absolute_url())) == [line for line in expected if "Internal note" not in line]


def test_requester_cancels_a_request_they_no_longer_need(world, client_for, submit):
    requester = client_for(world.requester)
    sr = file_laptop_request(requester, submit, world, title="Keep me")
    other = file_laptop_request(requester, submit, world, title="Changed my mind")

    response = submit(requester, url("request_cancel", other.reference))

    assert response.status_code == 302
    other.refresh_from_db()
    sr.refresh_from_db()
    assert other.status == Status.CANCELLED
    assert other.closed_at is not None
    assert sr.status == Status.NEW
    assert history(requester.get(other.get_absolute_url()))[-1] == "Requester Tester: Cancelled new → cancelled"


def test_requester_reply_reopens_a_resolved_request_within_the_window(world, client_for, submit):
    requester = client_for(world.requester)
    agent = client_for(world.agent)
    sr = file_laptop_request(requester, submit, world)
    submit(agent, url("request_resolve", sr.reference), {"resolution_note": "Rebooted it."})
    sr.refresh_from_db()
    assert sr.status == Status.RESOLVED
    sent = len(mail.outbox)

    response = submit(requester, url("request_reply", sr.reference), {"body": "Still flickering"})

    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.OPEN
    assert sr.resolved_at is None
    assert history(agent.get(sr.get_absolute_url()))[-2:] == [
        "Requester Tester: Reopened resolved → open",
        "Requester Tester: Public reply",
    ]
    # Unassigned, so the requester's reply goes to the whole department.
    [reply_mail] = mail.outbox[sent:]
    assert recipients(reply_mail) == {"agent@example.com", "lead@example.com"}


def test_new_request_mail_goes_to_the_queue_address_when_the_department_has_one(world, client_for, submit):
    world.it.queue_email = "it-queue@example.com"
    world.it.save(update_fields=["queue_email"])

    file_laptop_request(client_for(world.requester), submit, world)

    [filed_mail] = mail.outbox
    assert filed_mail.to == ["it-queue@example.com"]


def test_request_page_shows_every_kind_of_answer(world, client_for, submit):
    service = factories.make_service(world.it, "Desk move")
    factories.add_field(service, "details", FieldType.LONG_TEXT, label="Details")
    factories.add_field(service, "boxes", FieldType.NUMBER, label="Boxes")
    factories.add_field(service, "items", FieldType.MULTI_CHOICE, label="Items", choices="Monitor\nDock\nChair")
    factories.add_field(service, "weekend", FieldType.CHECKBOX, label="Weekend move")
    factories.add_field(service, "floor", FieldType.CHOICE, label="Floor", choices="1\n2")
    requester = client_for(world.requester)

    submit(
        requester,
        url("service_detail", service.pk),
        {
            "title": "Move me",
            "f_details": "Line one\nLine <two>",
            "f_boxes": "3",
            "f_items": ["Monitor", "Chair"],
            "f_weekend": "on",
        },
    )

    sr = ServiceRequest.objects.get()
    assert sr.values == {
        "details": "Line one\nLine <two>",
        "boxes": 3,
        "items": ["Monitor", "Chair"],
        "weekend": True,
        "floor": "",
    }
    page = requester.get(sr.get_absolute_url()).content.decode()
    answers = dict(re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S))
    assert answers["Details"] == "Line one<br>Line &lt;two&gt;"
    assert answers["Boxes"] == "3"
    assert answers["Items"] == "Monitor, Chair"
    assert answers["Weekend move"] == "Yes"
    assert "—" in answers["Floor"]
