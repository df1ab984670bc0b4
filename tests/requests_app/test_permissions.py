"""Who may see and do what, as a matrix: persona × someone's request × action.

Nobody learns that a request they may not see exists (404, never 403); people who
may see a request but not do something to it get 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from departments.models import Role
from requests_app import services
from requests_app.models import Attachment, Comment, RequestEvent, ServiceRequest, Status

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SECRET_NOTE = "Internal: requester is on a performance plan"


def url(name: str, *args: Any) -> str:
    return reverse(f"requests_app:{name}", args=args)


@pytest.fixture
def it_request(world: Any) -> ServiceRequest:
    """The requester's laptop request with a file of its own, an internal note with a file, and a public reply."""
    sr = services.request_file(
        service=world.laptop,
        requester=world.requester,
        title="Laptop is slow",
        values={"asset_tag": "LT-7", "reason": "Slow", "needed_by": None, "photo": "slow.png"},
        files=[("photo", SimpleUploadedFile("slow.png", b"public file"))],
    )
    services.comment_add(
        service_request=sr,
        author=world.agent,
        body=SECRET_NOTE,
        internal=True,
        files=[("", SimpleUploadedFile("note.txt", b"internal file"))],
    )
    services.comment_add(service_request=sr, author=world.agent, body="We are on it.")
    return sr


def request_attachment(sr: ServiceRequest) -> Attachment:
    return sr.attachments.get(comment__isnull=True)


def note_attachment(sr: ServiceRequest) -> Attachment:
    return sr.attachments.get(comment__internal=True)


# Each POST action with a payload that would succeed for someone allowed to do it.
ACTIONS: dict[str, Any] = {
    "reply": lambda world: {"body": "Any news?"},
    "claim": lambda world: {},
    "assign": lambda world: {"assignee": world.lead.pk},
    "status": lambda world: {"status": Status.WAITING},
    "resolve": lambda world: {"resolution_note": "Done."},
    "priority": lambda world: {"priority": "high"},
    "cancel": lambda world: {},
}

# Expected status code per persona and action on the requester's IT request.
# 302 means the change went through and the browser is sent back to the request page.
MATRIX: dict[str, dict[str, int]] = {
    "requester": {
        "reply": 302,
        "claim": 403,
        "assign": 403,
        "status": 403,
        "resolve": 403,
        "priority": 403,
        "cancel": 302,
    },
    "colleague": dict.fromkeys(ACTIONS, 404),
    "other_agent": dict.fromkeys(ACTIONS, 404),
    "admin": dict.fromkeys(ACTIONS, 404),
    "agent": {
        "reply": 302,
        "claim": 302,
        "assign": 403,
        "status": 302,
        "resolve": 302,
        "priority": 302,
        "cancel": 403,
    },
    "lead": {
        "reply": 302,
        "claim": 302,
        "assign": 302,
        "status": 302,
        "resolve": 302,
        "priority": 302,
        "cancel": 403,
    },
}

CASES = [(persona, action, expected) for persona, row in MATRIX.items() for action, expected in row.items()]


def counts() -> tuple[int, int, int, tuple]:
    """Everything an action could write."""
    snapshot = tuple(ServiceRequest.objects.values_list("status", "priority", "assignee_id", "resolution_note"))
    return Comment.objects.count(), RequestEvent.objects.count(), ServiceRequest.objects.count(), snapshot


@pytest.mark.parametrize(("persona", "action", "expected"), CASES, ids=[f"{p}-{a}" for p, a, _ in CASES])
def test_request_actions_follow_the_permission_matrix(world, client_for, it_request, persona, action, expected):
    client = client_for(getattr(world, persona))
    before = counts()

    response = client.post(url(f"request_{action}", it_request.reference), ACTIONS[action](world))

    assert response.status_code == expected
    if expected == 302:
        assert counts() != before, "an allowed action must change something"
    else:
        assert counts() == before, "a refused action must change nothing"


PAGE_MATRIX = {
    "requester": (200, 200, 404),
    "agent": (200, 200, 200),
    "lead": (200, 200, 200),
    "colleague": (404, 404, 404),
    "other_agent": (404, 404, 404),
    "admin": (404, 404, 404),
}


@pytest.mark.parametrize(("persona", "expected"), PAGE_MATRIX.items(), ids=list(PAGE_MATRIX))
def test_request_page_and_attachments_follow_the_permission_matrix(world, client_for, it_request, persona, expected):
    client = client_for(getattr(world, persona))

    got = (
        client.get(it_request.get_absolute_url()).status_code,
        client.get(request_attachment(it_request).get_absolute_url()).status_code,
        client.get(note_attachment(it_request).get_absolute_url()).status_code,
    )

    assert got == expected


def test_employee_cannot_see_another_employees_request_in_my_requests(world, client_for, it_request):
    page = client_for(world.colleague).get(url("my_requests")).content.decode()

    assert it_request.reference not in page


def test_requester_never_sees_internal_notes_on_the_request_page(world, client_for, it_request):
    page = client_for(world.requester).get(it_request.get_absolute_url()).content.decode()

    assert "We are on it." in page
    assert SECRET_NOTE not in page
    assert "note.txt" not in page
    assert "Internal note" not in page


def test_staff_see_internal_notes_and_their_attachments(world, client_for, it_request):
    page = client_for(world.agent).get(it_request.get_absolute_url()).content.decode()

    assert SECRET_NOTE in page
    assert note_attachment(it_request).get_absolute_url() in page


def test_requester_never_receives_internal_notes_by_email(world, django_capture_on_commit_callbacks):
    sr = factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(service_request=sr, author=world.agent, body=SECRET_NOTE, internal=True)
        services.comment_add(service_request=sr, author=world.agent, body="Public answer")
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Fixed")

    to_requester = [m for m in mail.outbox if "requester@example.com" in m.to]
    assert len(to_requester) == 2
    for message in to_requester:
        assert SECRET_NOTE not in message.body
        assert all(SECRET_NOTE not in content for content, _ in message.alternatives)


def test_hr_agent_cannot_open_the_it_queue(world, client_for):
    assert client_for(world.other_agent).get(url("queue", world.it.slug)).status_code == 404


def test_employee_and_admin_cannot_open_any_queue(world, client_for):
    for person in (world.requester, world.colleague, world.admin):
        assert client_for(person).get(url("queue", world.it.slug)).status_code == 404


def test_agent_opens_their_own_queue(world, client_for, it_request):
    page = client_for(world.agent).get(url("queue", world.it.slug))

    assert page.status_code == 200
    assert it_request.reference in page.content.decode()


def test_non_lead_agent_cannot_assign_even_to_themselves_through_the_assign_form(world, client_for, it_request):
    response = client_for(world.agent).post(url("request_assign", it_request.reference), {"assignee": world.agent.pk})

    assert response.status_code == 403
    it_request.refresh_from_db()
    assert it_request.assignee is None


def test_non_lead_agent_can_claim(world, client_for, it_request):
    response = client_for(world.agent).post(url("request_claim", it_request.reference))

    assert response.status_code == 302
    it_request.refresh_from_db()
    assert it_request.assignee == world.agent


def test_non_lead_agent_page_offers_claim_but_no_assign_form(world, client_for, it_request):
    page = client_for(world.agent).get(it_request.get_absolute_url()).content.decode()

    assert url("request_claim", it_request.reference) in page
    assert url("request_assign", it_request.reference) not in page


def test_requester_page_offers_reply_and_cancel_but_no_staff_actions(world, client_for, it_request):
    page = client_for(world.requester).get(it_request.get_absolute_url()).content.decode()

    assert url("request_reply", it_request.reference) in page
    assert url("request_cancel", it_request.reference) in page
    for action in ("claim", "assign", "status", "resolve", "priority"):
        assert url(f"request_{action}", it_request.reference) not in page
    assert 'name="internal"' not in page


def test_requester_cannot_post_an_internal_note(world, client_for, it_request):
    client = client_for(world.requester)

    response = client.post(url("request_reply", it_request.reference), {"body": "psst", "internal": "on"})

    assert response.status_code == 302
    comment = Comment.objects.latest("id")
    assert (comment.author, comment.body, comment.internal) == (world.requester, "psst", False)


@pytest.mark.parametrize(
    "page",
    ["catalog", "service", "my_requests", "queue", "request", "request_attachment"],
)
def test_anonymous_visitor_is_sent_to_the_login_page(world, it_request, page):
    target = {
        "catalog": url("catalog"),
        "service": url("service_detail", world.laptop.pk),
        "my_requests": url("my_requests"),
        "queue": url("queue", world.it.slug),
        "request": it_request.get_absolute_url(),
        "request_attachment": request_attachment(it_request).get_absolute_url(),
    }[page]

    response = Client().get(target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={target}"


@pytest.mark.parametrize("action", list(ACTIONS))
def test_anonymous_post_is_sent_to_the_login_page_and_changes_nothing(world, it_request, action):
    before = counts()

    response = Client().post(url(f"request_{action}", it_request.reference), ACTIONS[action](world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert counts() == before


class TestAgentWhoFilesInAnotherDepartment:
    """One person, several hats: an IT agent asking HR for something is just an employee there."""

    @pytest.fixture
    def hr_request(self, world: Any) -> ServiceRequest:
        sr = factories.make_request(world.certificate, world.agent, title="Certificate for my bank", purpose="Loan")
        services.comment_add(service_request=sr, author=world.other_agent, body="HR-only: salary check", internal=True)
        return sr

    def test_sees_it_in_my_requests(self, world, client_for, hr_request):
        page = client_for(world.agent).get(url("my_requests")).content.decode()

        assert hr_request.reference in page

    def test_sees_no_hr_internal_note_on_it(self, world, client_for, hr_request):
        page = client_for(world.agent).get(hr_request.get_absolute_url())

        assert page.status_code == 200
        assert "HR-only: salary check" not in page.content.decode()

    def test_it_is_not_in_the_it_queue(self, world, client_for, hr_request):
        page = client_for(world.agent).get(url("queue", world.it.slug), {"status": "all"}).content.decode()

        assert hr_request.reference not in page

    def test_it_is_in_the_hr_queue(self, world, client_for, hr_request):
        page = client_for(world.other_agent).get(url("queue", world.hr.slug)).content.decode()

        assert hr_request.reference in page

    def test_cannot_work_on_it(self, world, client_for, hr_request):
        client = client_for(world.agent)

        assert client.post(url("request_claim", hr_request.reference)).status_code == 403
        assert client.post(url("request_status", hr_request.reference), {"status": "waiting"}).status_code == 403


def test_membership_in_one_department_grants_nothing_in_another(world, client_for, it_request):
    """The lead of HR (a lead, but elsewhere) still gets 404 on IT's request and queue."""
    hr_lead = factories.make_user("hrlead")
    factories.add_member(hr_lead, world.hr, Role.LEAD)
    client = client_for(hr_lead)

    assert client.get(it_request.get_absolute_url()).status_code == 404
    assert client.get(url("queue", world.it.slug)).status_code == 404
    assert client.post(url("request_assign", it_request.reference), {"assignee": hr_lead.pk}).status_code == 404
