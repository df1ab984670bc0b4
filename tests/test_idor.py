"""Insecure direct object references: every URL that takes an id, walked for every role that must not reach
the object behind it. Each gets 404 (or 403 where the object is theirs to know of), never the object,
and nothing changes. The request was transferred IT → HR → IT, so ``other_agent`` is an agent of a
department that held it before; ``watcher`` follows it and may read, never act.

URLs without an id (the catalog, "My requests", the profile, tokens, the API's me/catalog/requests) are
walked too, GET and POST, by everyone who is not the owner: they show and change only the caller's own.

The walk starts from the URL configuration itself: a new URL with no entry below fails
``test_every_url_with_an_id_is_covered`` or ``test_every_url_without_an_id_is_covered``, so nobody adds an
endpoint without deciding who may reach it. Admin URLs are left out: admin is for staff only and sends
anyone else to its sign-in page.
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

from departments.models import CannedResponse, Membership, Priority, Profile
from requests_app import services
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import (
    Assessment,
    AssessmentAction,
    AssessmentAnswer,
    Feedback,
    FeedbackFollowUp,
    Kudos,
)
from requests_app.feedback.rating_links import make_token
from requests_app.models import ApiToken, Comment, RequestEvent, SavedView, ServiceRequest, Watcher

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

TOKEN_NAME = "requester-token-7f3a"

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
# Those who may read the request but not act on it for the department, nor talk in it.
NON_WORKERS = (*REQUEST_OUTSIDERS, "requester", "watcher")
DEPARTMENT_OUTSIDERS = ("requester", "colleague", "other_agent", "watcher")


def ref(objects: Any) -> dict[str, Any]:
    return {"reference": objects.request.reference}


def it_slug(objects: Any) -> dict[str, Any]:
    return {"slug": "it"}


CASES: dict[str, Case] = {
    "requests_app:request_detail": Case(ref, REQUEST_OUTSIDERS, ("get",)),
    "requests_app:request_reply": Case(ref, (*REQUEST_OUTSIDERS, "watcher"), ("post",)),
    "requests_app:request_claim": Case(ref, NON_WORKERS, ("post",)),
    "requests_app:request_assign": Case(ref, NON_WORKERS, ("post",)),
    "requests_app:request_status": Case(ref, NON_WORKERS, ("post",)),
    "requests_app:request_resolve": Case(ref, NON_WORKERS, ("post",)),
    "requests_app:request_priority": Case(ref, NON_WORKERS, ("post",)),
    "requests_app:request_cancel": Case(ref, (*REQUEST_OUTSIDERS, "agent", "watcher"), ("post",)),
    "requests_app:request_promise": Case(ref, NON_WORKERS, ("post",)),
    "requests_app:request_transfer": Case(ref, NON_WORKERS),
    "requests_app:request_watcher_add": Case(ref, (*REQUEST_OUTSIDERS, "watcher"), ("post",)),
    "requests_app:request_watcher_remove": Case(
        lambda o: {"reference": o.request.reference, "user_id": o.watcher.pk}, ("other_agent",), ("post",)
    ),
    "requests_app:canned_response_text": Case(
        lambda o: {"reference": o.request.reference, "pk": o.canned.pk}, NON_WORKERS, ("get",)
    ),
    "requests_app:canned_response_list": Case(ref, NON_WORKERS, ("get",)),
    "feedback:request_rate": Case(ref, (*REQUEST_OUTSIDERS, "agent", "watcher"), ("post",)),
    "feedback:feedback_comment": Case(ref, (*REQUEST_OUTSIDERS, "agent", "watcher"), ("post",)),
    "feedback:request_thank": Case(ref, REQUEST_OUTSIDERS),
    "requests_app:attachment_download": Case(lambda o: {"pk": o.attachment.pk}, REQUEST_OUTSIDERS, ("get",)),
    "requests_app:api_token_revoke": Case(
        lambda o: {"pk": o.token.pk}, ("colleague", "agent", "lead", "watcher"), ("post",)
    ),
    "feedback:rate_by_link": Case(lambda o: {"token": o.rating_token}, ("colleague", "agent", "watcher")),
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
    "feedback:assessment_answer": Case(lambda o: {"token": o.invitation.token}, ("colleague", "lead", "watcher")),
    "api:request": Case(ref, REQUEST_OUTSIDERS, ("get",)),
    "api:request_comments": Case(ref, (*REQUEST_OUTSIDERS, "watcher"), ("post",)),
    "api:request_cancel": Case(ref, (*REQUEST_OUTSIDERS, "watcher"), ("post",)),  # the department may cancel too
    "api:request_assign": Case(ref, NON_WORKERS, ("post",)),
    "api:request_status": Case(ref, NON_WORKERS, ("post",)),
    "api:request_priority": Case(ref, NON_WORKERS, ("post",)),
    "api:queue": Case(it_slug, DEPARTMENT_OUTSIDERS, ("get",)),
}

# URLs without an id: each shows or changes only the caller's own things (or nothing personal at all).
WITHOUT_ID = {
    "requests_app:catalog": "the catalog; POST is not allowed",
    "requests_app:my_requests": "the caller's own requests and those they watch",
    "requests_app:profile": "the caller's own profile and tokens",
    "requests_app:reading_set": "the caller's own language and time zone",
    "requests_app:api_token_create": "a token for the caller",
    "feedback:company": "company-wide figures, no request of anyone",
    "api:me": "the caller",
    "api:catalog": "the catalog",
    "api:requests": "the caller's requests; POST files one for the caller",
    "api-schema": "the API's description",
    "api-docs": "the API's description",
    "healthz": "the service's health",
    "login": "signing in",
    "logout": "signing out (the caller)",
    "set_language": "the caller's language for this session",
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


def walk_without_id(patterns: Any, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from walk_without_id(pattern.url_patterns, inner)
        elif pattern.name and not pattern.pattern.converters:
            yield namespace + pattern.name


def test_every_url_with_an_id_is_covered():
    names = {name for name, _ in walk(get_resolver().url_patterns) if not name.startswith("admin:")}

    assert names - set(CASES) - set(PUBLIC) == set()
    assert set(CASES) - names == set()  # no stale entry hides a renamed URL


def test_every_url_without_an_id_is_covered():
    names = {n for n in walk_without_id(get_resolver().url_patterns) if not n.startswith("admin:")}
    names.discard("api:not_found")  # the API's JSON 404 for any unknown path

    assert names == set(WITHOUT_ID)


@dataclass
class Objects:
    request: ServiceRequest
    attachment: Any
    note_file: Any
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
    # Through HR and back: HR's agent held it once, and left an internal note with a file, not shared.
    services.request_transfer(service_request=sr, to_service=world.certificate, by=world.agent, reason="HR's")
    services.comment_add(
        service_request=sr,
        author=world.other_agent,
        body="HR only",
        internal=True,
        files=[("", SimpleUploadedFile("case.txt", b"secret case"))],
    )
    services.request_transfer(service_request=sr, to_service=world.laptop, by=world.other_agent, reason="IT's")
    rated = services.request_file(service=world.laptop, requester=world.requester, title="Rated", values={})
    services.comment_add(service_request=rated, author=world.agent, body="Here")
    services.request_resolve(service_request=rated, by=world.agent, resolution_note="Done")
    feedback_services.feedback_give(service_request=rated, by=world.requester, rating=1)
    token, _ = services.api_token_create(user=world.requester, name=TOKEN_NAME)
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
        attachment=sr.attachments.get(comment=None),
        note_file=sr.attachments.get(comment__internal=True),
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


# What a call by someone who is not the owner must not change: every row of these, field by field.
TRACKED: dict[Any, tuple[str, ...]] = {
    ServiceRequest: ("status", "priority", "assignee_id", "service_id", "title"),
    RequestEvent: ("kind",),
    Comment: ("body", "internal"),
    Watcher: ("request_id", "user_id"),
    Kudos: ("message",),
    Feedback: ("rating", "comment"),
    ApiToken: ("name", "revoked_at", "expires_at", "read_only"),
    Membership: ("is_available",),
    SavedView: ("name",),
    FeedbackFollowUp: ("closed_at",),
    Assessment: ("status", "closed_at"),
    AssessmentAction: ("description", "done_at"),
    AssessmentAnswer: ("score", "comment"),
}


def fingerprint(only: dict[Any, set[int]] | None = None) -> dict[Any, tuple[Any, ...]]:
    """Every tracked row; with ``only``, just the rows that existed then (the caller may add their own)."""
    rows = {}
    for model, fields in TRACKED.items():
        qs = model.objects.order_by("pk")
        if only is not None:
            qs = qs.filter(pk__in=only[model])
        rows[model] = tuple(qs.values_list("pk", *fields))
    return rows


def persona(world: Any, objects: Objects, name: str) -> Any:
    return objects.watcher if name == "watcher" else getattr(world, name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_role_reaches_an_object_that_is_not_theirs(world: Any, objects: Objects, name: str) -> None:
    case = CASES[name]
    url = reverse(name, kwargs=case.kwargs(objects))
    before = fingerprint()
    for name_of_persona in case.outsiders:
        client = Client()
        client.force_login(persona(world, objects, name_of_persona))
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
            assert response.status_code in (403, 404), (name, name_of_persona, method, response.status_code)
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


def post_without_id(client: Client, name: str, world: Any) -> Any:
    url = reverse(name)
    if name == "api:requests":
        body = {"service": world.laptop.pk, "title": "My own", "values": {"asset_tag": "LT-2", "reason": "Slow"}}
        return client.post(url, body, content_type="application/json")
    if name.startswith("api"):
        return client.post(url, {}, content_type="application/json")
    return client.post(url, POST_DATA)


@pytest.mark.parametrize("name", sorted(WITHOUT_ID))
def test_urls_without_an_id_show_and_change_only_the_callers_own(world: Any, objects: Objects, name: str) -> None:
    """Nobody but the requester reads the request's title or the requester's token on these pages, and no
    POST by anyone else changes a row that was there before."""
    objects.request.title = "Requester-secret-title-9c1"
    ServiceRequest.objects.filter(pk=objects.request.pk).update(title=objects.request.title)
    existing = {model: set(model.objects.values_list("pk", flat=True)) for model in TRACKED}
    before = fingerprint(existing)
    for name_of_persona in ("colleague", "other_agent", "lead", "agent", "watcher"):
        client = Client()
        client.force_login(persona(world, objects, name_of_persona))
        for response in (client.get(reverse(name)), post_without_id(client, name, world)):
            # /healthz answers 503 while no sweep has run: about the service, not the caller.
            assert response.status_code < 500 or name == "healthz", (name, name_of_persona, response.status_code)
            assert TOKEN_NAME.encode() not in response.content, (name, name_of_persona)
            if name_of_persona in ("colleague", "other_agent"):
                assert objects.request.title.encode() not in response.content, (name, name_of_persona)
    assert fingerprint(existing) == before, name


def test_a_requester_cannot_choose_the_priority_the_service_does_not_offer(world: Any, objects: Objects) -> None:
    """The laptop service lets requesters state no urgency: a forged "critical" is refused, web and API."""
    client = Client()
    client.force_login(world.requester)
    filing = {"title": "Forged", "f_asset_tag": "LT-3", "f_reason": "Slow", "priority": Priority.CRITICAL}

    page = client.post(reverse("requests_app:service_detail", args=[world.laptop.pk]), filing)
    api = client.post(
        reverse("api:requests"),
        {"service": world.laptop.pk, "title": "Forged", "values": {"asset_tag": "LT-3", "reason": "Slow"}}
        | {"priority": Priority.CRITICAL},
        content_type="application/json",
    )

    assert page.status_code == 400
    assert api.status_code == 400
    assert "priority" in api.json()["errors"]
    assert not ServiceRequest.objects.filter(priority=Priority.CRITICAL).exists()


def test_a_note_file_left_behind_by_a_transfer_is_reached_by_nobody(world: Any, objects: Objects) -> None:
    """The note's file stayed with HR's note, but the request is IT's now: HR reaches neither."""
    for name_of_persona in ("other_agent", "agent", "lead", "requester", "watcher", "colleague"):
        client = Client()
        client.force_login(persona(world, objects, name_of_persona))
        response = client.get(reverse("requests_app:attachment_download", args=[objects.note_file.pk]))
        assert response.status_code == 404, name_of_persona
