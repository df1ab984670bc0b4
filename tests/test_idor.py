"""Insecure direct object references: every URL that takes an id, walked for every role that must not reach
the object behind it. Each gets 404 (or 403 where the object is theirs to know of), never the object,
and nothing changes.

The walk starts from the URL configuration itself: a new URL with an id and no entry below fails
``test_every_url_with_an_id_is_covered``, so nobody adds an endpoint without deciding who may reach it.
Admin URLs are left out: admin is for staff only and sends anyone else to its sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from departments.models import CannedResponse, Profile
from requests_app import services
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import FeedbackFollowUp
from requests_app.feedback.rating_links import make_token
from requests_app.models import RequestEvent, SavedView, ServiceRequest

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

# Public on purpose, with why: everyone signed in may see these whatever the id.
PUBLIC = {
    "requests_app:service_detail": "the catalog is for every employee",
    "api:service": "the catalog is for every employee",
    "feedback:person": "thanks are meant to be seen by colleagues",
    "feedback:thanks_board": "recognition boards are company-wide",
}


@dataclass(frozen=True)
class Case:
    """Who must not reach the object of a URL (persona names of the ``world``), and with which methods."""

    kwargs: Callable[[Any], dict[str, Any]]
    outsiders: tuple[str, ...]
    methods: tuple[str, ...] = ("get", "post")


REQUEST_OUTSIDERS = ("colleague", "other_agent")
DEPARTMENT_OUTSIDERS = ("requester", "colleague", "other_agent")


def ref(objects: Any) -> dict[str, Any]:
    return {"reference": objects.request.reference}


def it_slug(objects: Any) -> dict[str, Any]:
    return {"slug": "it"}


CASES: dict[str, Case] = {
    "requests_app:request_detail": Case(ref, REQUEST_OUTSIDERS, ("get",)),
    "requests_app:request_reply": Case(ref, REQUEST_OUTSIDERS, ("post",)),
    "requests_app:request_claim": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "requests_app:request_assign": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "requests_app:request_status": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "requests_app:request_resolve": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "requests_app:request_priority": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "requests_app:request_cancel": Case(ref, (*REQUEST_OUTSIDERS, "agent"), ("post",)),
    "requests_app:request_promise": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "requests_app:request_transfer": Case(ref, (*REQUEST_OUTSIDERS, "requester")),
    "requests_app:request_watcher_add": Case(ref, REQUEST_OUTSIDERS, ("post",)),
    "requests_app:request_watcher_remove": Case(
        lambda o: {"reference": o.request.reference, "user_id": o.watcher.pk}, ("other_agent",), ("post",)
    ),
    "requests_app:canned_response_text": Case(
        lambda o: {"reference": o.request.reference, "pk": o.canned.pk}, (*REQUEST_OUTSIDERS, "requester"), ("get",)
    ),
    "requests_app:canned_response_list": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("get",)),
    "feedback:request_rate": Case(ref, (*REQUEST_OUTSIDERS, "agent"), ("post",)),
    "feedback:feedback_comment": Case(ref, (*REQUEST_OUTSIDERS, "agent"), ("post",)),
    "feedback:request_thank": Case(ref, REQUEST_OUTSIDERS),
    "requests_app:attachment_download": Case(lambda o: {"pk": o.attachment.pk}, REQUEST_OUTSIDERS, ("get",)),
    "requests_app:api_token_revoke": Case(lambda o: {"pk": o.token.pk}, ("colleague", "agent", "lead"), ("post",)),
    "feedback:rate_by_link": Case(lambda o: {"token": o.rating_token}, ("colleague", "agent"), ("get",)),
    "requests_app:queue": Case(it_slug, DEPARTMENT_OUTSIDERS, ("get",)),
    "requests_app:queue_bulk": Case(it_slug, DEPARTMENT_OUTSIDERS, ("post",)),
    "requests_app:saved_view_create": Case(it_slug, DEPARTMENT_OUTSIDERS, ("post",)),
    "requests_app:saved_view_delete": Case(
        lambda o: {"slug": "it", "pk": o.saved_view.pk}, (*DEPARTMENT_OUTSIDERS, "agent"), ("post",)
    ),
    "requests_app:availability": Case(it_slug, DEPARTMENT_OUTSIDERS, ("post",)),
    "feedback:department_dashboard": Case(it_slug, DEPARTMENT_OUTSIDERS, ("get",)),
    "feedback:follow_up_close": Case(
        lambda o: {"slug": "it", "pk": o.follow_up.pk}, (*DEPARTMENT_OUTSIDERS, "agent"), ("post",)
    ),
    "feedback:monthly_review": Case(
        lambda o: {"slug": "it", "month": "2026-10"}, (*DEPARTMENT_OUTSIDERS, "agent"), ("get",)
    ),
    "feedback:assessment_list": Case(it_slug, DEPARTMENT_OUTSIDERS),
    "feedback:assessment_detail": Case(lambda o: {"pk": o.assessment.pk}, DEPARTMENT_OUTSIDERS, ("get",)),
    "feedback:assessment_close": Case(lambda o: {"pk": o.assessment.pk}, (*DEPARTMENT_OUTSIDERS, "agent"), ("post",)),
    "feedback:assessment_action_add": Case(
        lambda o: {"pk": o.assessment.pk}, (*DEPARTMENT_OUTSIDERS, "agent"), ("post",)
    ),
    "feedback:assessment_action_done": Case(lambda o: {"pk": o.action.pk}, DEPARTMENT_OUTSIDERS, ("post",)),
    "feedback:assessment_answer": Case(lambda o: {"token": o.invitation.token}, ("colleague", "lead")),
    "api:request": Case(ref, REQUEST_OUTSIDERS, ("get",)),
    "api:request_comments": Case(ref, REQUEST_OUTSIDERS, ("post",)),
    "api:request_cancel": Case(ref, REQUEST_OUTSIDERS, ("post",)),  # the department may cancel too
    "api:request_assign": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "api:request_status": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "api:request_priority": Case(ref, (*REQUEST_OUTSIDERS, "requester"), ("post",)),
    "api:queue": Case(it_slug, DEPARTMENT_OUTSIDERS, ("get",)),
}

# What each method sends: enough to pass the forms, so a refusal is about access, not about bad input.
POST_DATA = {
    "body": "Let me in",
    "status": "open",
    "priority": "high",
    "assignee": "",
    "resolution_note": "Done",
    "note": "Done",
    "action": "priority",
    "selected": ["IT-1001"],
    "name": "Mine now",
    "query": "status=all",
    "available": "0",
    "rating": "5",
    "comment": "Great",
    "recipient": "1",
    "message": "Thanks",
    "action_taken": "Called them",
    "description": "Do better",
    "due_on": "2030-01-01",
    "reason": "Mine",
    "person": "colleague",
    "due_at": "2030-01-01T10:00",
}


def walk(patterns: Any, namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from walk(pattern.url_patterns, inner)
        elif pattern.name and pattern.pattern.converters:
            yield namespace + pattern.name, str(pattern.pattern)


def test_every_url_with_an_id_is_covered():
    names = {name for name, _ in walk(get_resolver().url_patterns) if not name.startswith("admin:")}

    assert names - set(CASES) - set(PUBLIC) == set()
    assert set(CASES) - names == set()  # no stale entry hides a renamed URL


@dataclass
class Objects:
    request: ServiceRequest
    attachment: Any
    watcher: Any
    canned: CannedResponse
    token: Any
    rating_token: str
    saved_view: SavedView
    follow_up: FeedbackFollowUp
    assessment: Any
    action: Any
    invitation: Any


@pytest.fixture
def objects(world: Any) -> Objects:
    """One of each object behind those URLs, belonging to the requester and the IT department."""
    Profile.objects.create(user=world.requester, department=world.hr)
    sr = services.request_file(
        service=world.laptop,
        requester=world.requester,
        title="Mine",
        values={"asset_tag": "LT-1", "reason": "Slow", "needed_by": None, "photo": "x.txt"},
        files=[("photo", SimpleUploadedFile("x.txt", b"secret"))],
    )
    watcher = world.lead.__class__.objects.create_user(username="watcher", password="x")
    services.watcher_add(service_request=sr, user=watcher, by=world.requester)
    rated = services.request_file(service=world.laptop, requester=world.requester, title="Rated", values={})
    services.comment_add(service_request=rated, author=world.agent, body="Here")
    services.request_resolve(service_request=rated, by=world.agent, resolution_note="Done")
    feedback_services.feedback_give(service_request=rated, by=world.requester, rating=1)
    token, _ = services.api_token_create(user=world.requester, name="mine")
    assessment = feedback_services.assessment_start(
        department=world.it,
        by=world.lead,
        title="Spring",
        closes_at=timezone.now() + timedelta(days=7),
        respondent_departments=[world.hr],
        respondents=[world.requester],
    )
    action = feedback_services.assessment_action_add(
        assessment=assessment, by=world.lead, description="Faster", owner=world.lead, due_on=timezone.localdate()
    )
    return Objects(
        request=sr,
        attachment=sr.attachments.get(),
        watcher=watcher,
        canned=CannedResponse.objects.create(department=world.it, title="Hi", body="Hello"),
        token=token,
        rating_token=make_token(request_id=rated.pk, user_id=world.requester.pk, score=5),
        saved_view=SavedView.objects.create(department=world.it, owner=world.lead, name="Lead's", query=""),
        follow_up=FeedbackFollowUp.objects.get(),
        assessment=assessment,
        action=action,
        invitation=assessment.invitations.get(),
    )


def fingerprint() -> tuple[Any, ...]:
    """What an outsider's call must not change."""
    return (
        RequestEvent.objects.count(),
        tuple(ServiceRequest.objects.order_by("pk").values_list("status", "priority", "assignee_id", "service_id")),
        SavedView.objects.count(),
        FeedbackFollowUp.objects.filter(closed_at__isnull=True).count(),
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_role_reaches_an_object_that_is_not_theirs(world: Any, objects: Objects, name: str) -> None:
    case = CASES[name]
    url = reverse(name, kwargs=case.kwargs(objects))
    before = fingerprint()
    for persona in case.outsiders:
        client = Client()
        client.force_login(getattr(world, persona))
        for method in case.methods:
            if method == "get":
                response = client.get(url)
            elif name.startswith("api:"):
                response = client.post(
                    url,
                    {"body": "x", "status": "open", "priority": "high", "assignee": None},
                    content_type="application/json",
                )
            else:
                response = client.post(url, POST_DATA)
            assert response.status_code in (403, 404), (name, persona, method, response.status_code)
            assert b"Mine now" not in response.content and b"secret" not in response.content
    assert fingerprint() == before, name


def test_an_anonymous_visitor_reaches_nothing(objects: Objects) -> None:
    client = Client()
    for name, case in CASES.items():
        response = client.get(reverse(name, kwargs=case.kwargs(objects)))
        if name.startswith("api:"):
            assert response.status_code == 401, name
        else:
            assert response.status_code in (302, 405), name
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("login")), name
