"""One-click rating links from the feedback email: signed, tied to one request and its requester, expiring
after ``RATING_LINK_MAX_AGE_DAYS`` (14 by default), usable once. Every way a link can fail gets a page that
says why, and records nothing.

The requester's laptop request is resolved on Monday 1 March 2027 at 11:00 Berlin; the SLA sweep asks
for feedback right then.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from requests_app.feedback.models import Feedback, FeedbackChannel
from requests_app.feedback.rating_links import make_token, rating_url, read_token
from requests_app.models import Notification, NotificationKind

from .desk import berlin, fresh

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MON = date(2027, 3, 1)
RESOLVED_AT = berlin(MON, 11)
SOON = RESOLVED_AT + timedelta(hours=1)


@pytest.fixture
def resolved(desk):
    return desk.served(berlin(MON, 9), reply=berlin(MON, 10), resolve=RESOLVED_AT)


def link(sr: Any, score: int, *, at=RESOLVED_AT, user: Any = None) -> str:
    """The link the email would carry, signed at ``at``."""
    with time_machine.travel(at, tick=False):
        return rating_url(request_id=sr.pk, user_id=(user or sr.requester).pk, score=score)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def state(response: Any) -> str:
    return re.search(r'id="rating-link" data-state="(\w+)"', response.content.decode()).group(1)


def ratings() -> list[tuple[int, int, str]]:
    return list(Feedback.objects.values_list("request_id", "rating", "channel"))


# --- a valid link --------------------------------------------------------------------------------


def test_a_valid_link_records_the_rating_through_the_email_channel(desk, world, resolved):
    response = desk.get(world.requester, link(resolved, 4), SOON)

    assert response.status_code == 200
    assert ratings() == [(resolved.pk, 4, FeedbackChannel.EMAIL)]


def test_a_valid_link_thanks_and_offers_a_comment_form(desk, world, resolved):
    response = desk.get(world.requester, link(resolved, 4), SOON)

    page = response.content.decode()
    assert state(response) == "recorded"
    assert "Thank you!" in page
    assert "4 of 5" in page
    assert f'action="{reverse("feedback:feedback_comment", args=[resolved.reference])}"' in page
    assert 'name="comment"' in page


def test_the_comment_after_a_one_click_rating_is_added(desk, world, resolved):
    desk.get(world.requester, link(resolved, 4), SOON)

    response = desk.post(
        world.requester,
        reverse("feedback:feedback_comment", args=[resolved.reference]),
        SOON,
        {"comment": "Fast and friendly."},
    )

    assert response.status_code == 302
    assert Feedback.objects.get().comment == "Fast and friendly."


def test_the_comment_after_a_one_click_rating_is_added_only_once(desk, world, resolved):
    desk.get(world.requester, link(resolved, 4), SOON)
    path = reverse("feedback:feedback_comment", args=[resolved.reference])
    desk.post(world.requester, path, SOON, {"comment": "Fast and friendly."})

    client = desk.client(world.requester, SOON)
    with time_machine.travel(SOON, tick=False):
        response = client.post(path, {"comment": "Changed my mind."}, follow=True)

    assert "This rating has a comment already." in response.content.decode()
    assert Feedback.objects.get().comment == "Fast and friendly."


def test_someone_else_cannot_comment_on_the_rating(desk, world, resolved):
    desk.get(world.requester, link(resolved, 4), SOON)

    response = desk.post(
        world.agent, reverse("feedback:feedback_comment", args=[resolved.reference]), SOON, {"comment": "Ha"}
    )

    assert response.status_code == 404
    assert Feedback.objects.get().comment == ""


def test_a_link_still_works_on_its_last_day(desk, world, resolved):
    response = desk.get(world.requester, link(resolved, 3), RESOLVED_AT + timedelta(days=14, minutes=-1))

    assert state(response) == "recorded"
    assert ratings() == [(resolved.pk, 3, FeedbackChannel.EMAIL)]


# --- links that do not work ----------------------------------------------------------------------


def test_an_expired_link_says_so_and_records_nothing(desk, world, resolved):
    response = desk.get(world.requester, link(resolved, 5), RESOLVED_AT + timedelta(days=14, minutes=1))

    assert response.status_code == 410
    assert state(response) == "expired"
    assert "This rating link has expired (links work for 14 days)" in response.content.decode()
    assert ratings() == []


def test_links_expire_after_the_configured_number_of_days(desk, world, resolved, settings):
    settings.RATING_LINK_MAX_AGE_DAYS = 3

    response = desk.get(world.requester, link(resolved, 5), RESOLVED_AT + timedelta(days=3, minutes=1))

    assert response.status_code == 410
    assert ratings() == []


def test_a_second_link_of_the_same_email_says_it_was_used(desk, world, resolved):
    desk.get(world.requester, link(resolved, 5), SOON)

    response = desk.get(world.requester, link(resolved, 1), SOON + timedelta(minutes=5))

    assert response.status_code == 200
    assert state(response) == "used"
    assert "Already rated" in response.content.decode()
    assert ratings() == [(resolved.pk, 5, FeedbackChannel.EMAIL)]


def test_the_same_link_clicked_twice_records_one_rating(desk, world, resolved):
    url = link(resolved, 5)
    desk.get(world.requester, url, SOON)

    response = desk.get(world.requester, url, SOON + timedelta(minutes=5))

    assert state(response) == "used"
    assert ratings() == [(resolved.pk, 5, FeedbackChannel.EMAIL)]


def test_a_link_after_rating_on_the_request_page_says_it_was_used(desk, world, resolved):
    desk.rate(resolved, SOON, 2)

    response = desk.get(world.requester, link(resolved, 5), SOON + timedelta(minutes=5))

    assert state(response) == "used"
    assert ratings() == [(resolved.pk, 2, FeedbackChannel.PAGE)]


def _edited(sr: Any) -> str:
    """A 5 whose signed content was replaced by a 1: the signature no longer matches."""
    five, one = token_of(link(sr, 5)), token_of(link(sr, 1))
    return one.split(":", 1)[0] + ":" + five.split(":", 1)[1]


def _for_another_request(sr: Any) -> str:
    """The content of a link to another request, under this link's signature."""
    with time_machine.travel(RESOLVED_AT, tick=False):
        other = make_token(request_id=sr.pk + 1, user_id=sr.requester_id, score=5)
    mine = token_of(link(sr, 5))
    return other.split(":", 1)[0] + ":" + mine.split(":", 1)[1]


TAMPERED = {
    "edited-score": _edited,
    "another-request": _for_another_request,
    "truncated": lambda sr: token_of(link(sr, 5))[:-6],
    "signature-cut-off": lambda sr: token_of(link(sr, 5)).rsplit(":", 1)[0],
    "garbage": lambda sr: "not-a-rating-link",
}


@pytest.mark.parametrize("make", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_link_gets_a_clear_page_and_records_nothing(desk, world, resolved, make):
    path = reverse("feedback:rate_by_link", args=[make(resolved)])

    response = desk.get(world.requester, path, SOON)

    assert response.status_code == 400
    assert state(response) == "tampered"
    assert "This rating link is not valid" in response.content.decode()
    assert ratings() == []


def test_a_signed_link_with_an_impossible_score_is_refused(desk, world, resolved):
    response = desk.get(world.requester, link(resolved, 9), SOON)

    assert response.status_code == 400
    assert ratings() == []


@pytest.mark.parametrize("persona", ["colleague", "agent", "lead", "admin"])
def test_a_link_opened_by_someone_else_is_refused_and_records_nothing(desk, world, resolved, persona):
    response = desk.get(getattr(world, persona), link(resolved, 5), SOON)

    assert response.status_code == 403
    assert state(response) == "wrong_person"
    assert ratings() == []


def test_a_signed_out_visitor_is_sent_to_sign_in_and_nothing_is_recorded(resolved):
    url = link(resolved, 5)

    with time_machine.travel(SOON, tick=False):
        response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(url)}"
    assert ratings() == []


def test_a_link_to_a_request_reopened_since_the_email_says_so(desk, world, resolved):
    url = link(resolved, 5)
    desk.reopen(resolved, RESOLVED_AT + timedelta(minutes=30))

    response = desk.get(world.requester, url, SOON)

    assert response.status_code == 409
    assert state(response) == "reopened"
    assert ratings() == []


# --- the feedback email --------------------------------------------------------------------------


def feedback_email(world: Any) -> Any:
    [notification] = Notification.objects.filter(kind=NotificationKind.FEEDBACK_REQUEST)
    [message] = [m for m in mail.outbox if m.extra_headers.get("X-Servicedesk-Notification") == str(notification.pk)]
    return message


def email_links(text: str) -> list[tuple[int, str]]:
    """(score, path) of each one-click link in the order the email lists them."""
    return [(int(score), urlsplit(url).path) for score, url in re.findall(r"(\d) of 5[^:]*: (\S+/rate/\S+)", text)]


def test_the_sla_sweep_emails_the_requester_five_rating_links(desk, world, resolved):
    desk.sla_sweep(RESOLVED_AT)

    message = feedback_email(world)
    assert message.to == [world.requester.email]
    links = email_links(message.body)
    assert [score for score, _ in links] == [5, 4, 3, 2, 1]
    for score, path in links:
        content = read_token(token_of(path))
        assert (content.request_id, content.user_id, content.score) == (resolved.pk, world.requester.pk, score)


def test_the_html_part_of_the_feedback_email_carries_the_same_links(desk, world, resolved):
    desk.sla_sweep(RESOLVED_AT)

    message = feedback_email(world)
    html = message.alternatives[0][0]
    assert [path for _, path in email_links(message.body)] == [
        urlsplit(url).path for url in re.findall(r'href="(\S+/rate/[^"]+)"', html)
    ]


@pytest.mark.parametrize("score", [5, 4, 3, 2, 1])
def test_each_link_of_the_feedback_email_records_its_score(desk, world, resolved, score):
    desk.sla_sweep(RESOLVED_AT)
    path = dict(email_links(feedback_email(world).body))[score]

    response = desk.get(world.requester, path, RESOLVED_AT + timedelta(days=2))

    assert state(response) == "recorded"
    assert ratings() == [(resolved.pk, score, FeedbackChannel.EMAIL)]
    assert fresh(resolved).feedback.rating == score
