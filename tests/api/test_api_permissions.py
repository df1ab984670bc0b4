"""Who may call what in the API, as a matrix: persona × endpoint × someone else's request.

The rules are the web's, from ``requests_app.permissions``: nobody learns that a request they may not
see exists (404, never 403); people who see a request but may not do something to it get 403; an
anonymous caller gets 401 with a ``WWW-Authenticate`` challenge, never the login page. A Django
superuser gets no rights in the app. Every refusal is JSON and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils.crypto import get_random_string

from departments.models import Role
from requests_app import services
from requests_app.models import ApiToken, Comment, RequestEvent, ServiceRequest, Status

from .. import factories
from .conftest import SECRET_NOTE, api_url, make_api_client

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PERSONAS = ("anonymous", "requester", "colleague", "agent", "other_agent", "lead", "admin")


def person(world: Any, persona: str) -> Any:
    return None if persona == "anonymous" else getattr(world, persona)


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


@pytest.fixture
def peer(world: Any) -> Any:
    """A second IT agent: someone to assign the request to who is not the caller."""
    user = factories.make_user("peer")
    factories.add_member(user, world.it, Role.AGENT)
    return user


# Each endpoint: (method, path for the request, JSON payload), given the world, the request, the caller and a peer.
Endpoint = Callable[[Any, ServiceRequest, Any, Any], tuple[str, str, dict[str, Any] | None]]


def _on(action: str, payload: Callable[[Any, Any, Any], dict[str, Any]]) -> Endpoint:
    return lambda world, sr, user, peer: (
        "post",
        api_url(action, reference=sr.reference),
        payload(world, user, peer),
    )


ENDPOINTS: dict[str, Endpoint] = {
    "me": lambda world, sr, user, peer: ("get", api_url("me"), None),
    "catalog": lambda world, sr, user, peer: ("get", api_url("catalog"), None),
    "service": lambda world, sr, user, peer: ("get", api_url("service", pk=world.laptop.pk), None),
    "my_requests": lambda world, sr, user, peer: ("get", api_url("requests"), None),
    "file": lambda world, sr, user, peer: (
        "post",
        api_url("requests"),
        {"service": world.certificate.pk, "title": "Certificate", "values": {"purpose": "Bank"}},
    ),
    "detail": lambda world, sr, user, peer: ("get", api_url("request", reference=sr.reference), None),
    "reply": _on("request_comments", lambda world, user, peer: {"body": "Any news?"}),
    "note": _on("request_comments", lambda world, user, peer: {"body": "Checked the stock.", "internal": True}),
    "cancel": _on("request_cancel", lambda world, user, peer: {}),
    "claim": _on("request_assign", lambda world, user, peer: {"assignee": user.pk if user else None}),
    "assign": _on("request_assign", lambda world, user, peer: {"assignee": peer.pk}),
    "status": _on("request_status", lambda world, user, peer: {"status": Status.WAITING}),
    "resolve": _on("request_status", lambda world, user, peer: {"status": Status.RESOLVED, "note": "Replaced."}),
    "priority": _on("request_priority", lambda world, user, peer: {"priority": "high"}),
    "queue": lambda world, sr, user, peer: ("get", api_url("queue", slug=world.it.slug), None),
}

EMPLOYEE_ROW = {"me": 200, "catalog": 200, "service": 200, "my_requests": 200, "file": 201}
ON_THE_REQUEST = ("detail", "reply", "note", "cancel", "claim", "assign", "status", "resolve", "priority")

# Expected status per persona and endpoint; request endpoints act on the requester's IT request.
MATRIX: dict[str, dict[str, int]] = {
    "anonymous": dict.fromkeys(ENDPOINTS, 401),
    "requester": {
        **EMPLOYEE_ROW,
        "detail": 200,
        "reply": 201,
        "note": 403,
        "cancel": 200,
        "claim": 403,
        "assign": 403,
        "status": 403,
        "resolve": 403,
        "priority": 403,
        "queue": 404,
    },
    "colleague": {**EMPLOYEE_ROW, **dict.fromkeys(ON_THE_REQUEST, 404), "queue": 404},
    "other_agent": {**EMPLOYEE_ROW, **dict.fromkeys(ON_THE_REQUEST, 404), "queue": 404},
    "admin": {**EMPLOYEE_ROW, **dict.fromkeys(ON_THE_REQUEST, 404), "queue": 404},
    "agent": {
        **EMPLOYEE_ROW,
        "detail": 200,
        "reply": 201,
        "note": 201,
        "cancel": 200,  # the department may cancel (requests_app.services.request_cancel), as by status on the web
        "claim": 200,
        "assign": 403,
        "status": 200,
        "resolve": 200,
        "priority": 200,
        "queue": 200,
    },
    "lead": {
        **EMPLOYEE_ROW,
        "detail": 200,
        "reply": 201,
        "note": 201,
        "cancel": 200,
        "claim": 200,
        "assign": 200,
        "status": 200,
        "resolve": 200,
        "priority": 200,
        "queue": 200,
    },
}

CASES = [
    (persona, endpoint, expected, via)
    for via in ("session", "token")
    for persona, row in MATRIX.items()
    for endpoint, expected in row.items()
    if not (via == "token" and persona == "anonymous")
]


def snapshot() -> tuple[Any, ...]:
    """Everything a call could write."""
    return (
        Comment.objects.count(),
        RequestEvent.objects.count(),
        tuple(
            ServiceRequest.objects.order_by("pk").values_list("status", "priority", "assignee_id", "resolution_note")
        ),
    )


def test_the_matrix_covers_every_persona_and_every_endpoint():
    assert set(MATRIX) == set(PERSONAS)
    for persona, row in MATRIX.items():
        assert set(row) == set(ENDPOINTS), persona


@pytest.mark.parametrize(
    ("persona", "endpoint", "expected", "via"),
    CASES,
    ids=[f"{via}-{persona}-{endpoint}" for persona, endpoint, expected, via in CASES],
)
def test_api_follows_the_permission_matrix(world, api, it_request, peer, persona, endpoint, expected, via):
    user = person(world, persona)
    client = api(user, token=via == "token")
    method, path, payload = ENDPOINTS[endpoint](world, it_request, user, peer)
    before = snapshot()

    response = client.get(path) if method == "get" else client.post(path, payload, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert_json_error(response, expected)
        assert snapshot() == before, "a refused call must change nothing"
    elif method == "post":
        assert snapshot() != before, "an allowed call must change something"
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="servicedesk"'


@pytest.mark.parametrize(("persona", "expected"), [("agent", 404), ("other_agent", 200), ("lead", 404)])
def test_each_department_opens_only_its_own_queue(world, api, persona, expected):
    response = api(getattr(world, persona)).get(api_url("queue", slug=world.hr.slug))

    assert response.status_code == expected


def test_a_queue_that_does_not_exist_is_not_found(world, api):
    assert_json_error(api(world.lead).get(api_url("queue", slug="no-such-department")), 404)


def test_a_request_that_does_not_exist_is_not_found_like_one_you_may_not_see(world, api, it_request):
    client = api(world.colleague)

    missing = assert_json_error(client.get(api_url("request", reference="IT-999999")), 404)
    hidden = assert_json_error(client.get(api_url("request", reference=it_request.reference)), 404)

    assert missing == hidden


def test_anonymous_callers_get_a_json_401_not_the_login_page(world, api):
    response = api(None).get(api_url("catalog"))

    body = assert_json_error(response, 401)
    assert body["errors"] == {}
    assert response["WWW-Authenticate"] == 'Bearer realm="servicedesk"'
    assert "Location" not in response


# --- internal notes ------------------------------------------------------------------------------

REQUESTER_CALLS: dict[str, Callable[[Any, ServiceRequest], Any]] = {
    "detail": lambda client, sr: client.get(api_url("request", reference=sr.reference)),
    "reply": lambda client, sr: client.post(
        api_url("request_comments", reference=sr.reference), {"body": "Thanks"}, format="json"
    ),
    "cancel": lambda client, sr: client.post(api_url("request_cancel", reference=sr.reference), format="json"),
    "my_requests": lambda client, sr: client.get(api_url("requests")),
}


@pytest.mark.parametrize("call", REQUESTER_CALLS, ids=list(REQUESTER_CALLS))
def test_requester_never_receives_internal_notes(world, api, it_request, call):
    response = REQUESTER_CALLS[call](api(world.requester), it_request)

    assert response.status_code in (200, 201)
    assert SECRET_NOTE not in response.content.decode()
    body = response.json()
    for item in body.get("comments", []):
        assert item["internal"] is False
    assert all(event["kind"] != "note" for event in body.get("history", []))


def test_requester_sees_the_public_conversation(world, api, it_request):
    body = api(world.requester).get(api_url("request", reference=it_request.reference)).json()

    assert [c["body"] for c in body["comments"]] == ["We are on it."]


@pytest.mark.parametrize("persona", ["agent", "lead"])
def test_department_sees_internal_notes_and_their_history(world, api, it_request, persona):
    body = api(getattr(world, persona)).get(api_url("request", reference=it_request.reference)).json()

    notes = [c for c in body["comments"] if c["internal"]]
    assert [n["body"] for n in notes] == [SECRET_NOTE]
    assert "note" in [event["kind"] for event in body["history"]]


def test_my_requests_lists_only_the_callers_own_requests(world, api, it_request):
    own = factories.make_request(world.certificate, world.colleague, title="Mine", purpose="Visa")

    for user, expected in ((world.colleague, [own.reference]), (world.agent, []), (world.admin, [])):
        body = api(user).get(api_url("requests")).json()
        assert [row["reference"] for row in body["results"]] == expected


# --- tokens -------------------------------------------------------------------------------------


def token_client(header: bytes | str) -> Any:
    client = make_api_client(None)
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def test_a_personal_token_signs_in_as_its_owner(world, api):
    body = api(world.agent, token=True).get(api_url("me")).json()

    assert body["username"] == world.agent.username
    assert body["queues"] == [{"department": world.it.slug, "role": Role.AGENT}]


def test_a_token_is_also_accepted_with_the_token_keyword(world):
    _, raw = services.api_token_create(user=world.lead, name="bot")

    response = token_client(f"Token {raw}").get(api_url("me"))

    assert response.status_code == 200
    assert response.json()["username"] == world.lead.username


def test_a_revoked_token_is_refused(world):
    token, raw = services.api_token_create(user=world.lead, name="bot")
    client = token_client(f"Bearer {raw}")
    assert client.get(api_url("me")).status_code == 200

    services.api_token_revoke(token=token, by=world.lead)
    response = client.get(api_url("me"))

    assert_json_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="servicedesk"'


def test_a_revoked_token_does_not_fall_back_to_the_session(world, api):
    token, raw = services.api_token_create(user=world.lead, name="bot")
    services.api_token_revoke(token=token, by=world.lead)
    client = api(world.lead)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert_json_error(client.get(api_url("me")), 401)


def test_a_token_of_a_deactivated_person_is_refused(world):
    _, raw = services.api_token_create(user=world.agent, name="bot")
    world.agent.is_active = False
    world.agent.save(update_fields=["is_active"])

    assert_json_error(token_client(f"Bearer {raw}").get(api_url("me")), 401)


def _right_prefix_wrong_secret(world: Any) -> str:
    token, _ = services.api_token_create(user=world.lead, name="bot")
    return f"Bearer sd_{token.prefix}_{get_random_string(43)}"


BAD_HEADERS: dict[str, Callable[[Any], bytes | str]] = {
    "garbage": lambda world: "Bearer nonsense",
    "unknown prefix": lambda world: "Bearer sd_00000000_" + get_random_string(43),
    "right prefix, wrong secret": _right_prefix_wrong_secret,
    "no secret": lambda world: "Bearer sd_",
    "keyword only": lambda world: "Bearer",
    "two words": lambda world: "Bearer sd_a b",
    "not utf-8": lambda world: b"Bearer sd_\xff\xfe",
    "other scheme": lambda world: "Basic dXNlcjpwYXNz",
}


@pytest.mark.parametrize("header", BAD_HEADERS, ids=list(BAD_HEADERS))
def test_garbage_and_malformed_tokens_are_refused_with_a_challenge(world, header):
    response = token_client(BAD_HEADERS[header](world)).get(api_url("me"))

    assert_json_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="servicedesk"'


def test_the_token_is_stored_hashed_never_in_clear(world):
    token, raw = services.api_token_create(user=world.agent, name="bot")

    stored = ApiToken.objects.filter(pk=token.pk).values()[0]

    assert raw.startswith("sd_")
    assert all(raw not in str(value) for value in stored.values())


# --- CSRF ---------------------------------------------------------------------------------------

FILING = {"values": {"purpose": "Bank"}, "title": "Certificate"}


def test_a_session_call_that_writes_needs_the_csrf_token(world, api):
    client = api(world.requester, csrf=True)

    response = client.post(api_url("requests"), {**FILING, "service": world.certificate.pk}, format="json")

    body = assert_json_error(response, 403)
    assert "CSRF" in body["detail"]
    assert not ServiceRequest.objects.exists()


def test_a_session_call_with_the_csrf_token_goes_through(world, api):
    client = api(world.requester, csrf=True)
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret

    response = client.post(
        api_url("requests"), {**FILING, "service": world.certificate.pk}, format="json", HTTP_X_CSRFTOKEN=secret
    )

    assert response.status_code == 201, response.content


def test_a_token_call_that_writes_needs_no_csrf_token(world):
    _, raw = services.api_token_create(user=world.requester, name="bot")
    client = make_api_client(None, csrf=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.post(api_url("requests"), {**FILING, "service": world.certificate.pk}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["requester"]["username"] == world.requester.username
