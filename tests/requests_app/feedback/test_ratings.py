"""The requester rates a resolved request; low ratings open a follow-up for the leads; colleagues thank
each other for a request they took part in, and the thanks show on the request, the person's page and
the department's recognition board.

The clock is stopped: the requester's laptop request is filed Monday 1 March 2027 at 09:00 Berlin, the
IT agent claims and answers it at 10:00 and resolves it at 11:00.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import Profile
from requests_app import services
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import Feedback, FeedbackChannel, FeedbackFollowUp, Kudos
from requests_app.feedback.selectors.dashboards import FOLLOW_UPS_PER_PAGE
from requests_app.models import Status

from .desk import berlin, fresh, url

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MON = date(2027, 3, 1)
RESOLVED_AT = berlin(MON, 11)
LATER = berlin(MON, 14)


@pytest.fixture
def handled(desk, world):
    """Filed by the requester, claimed and answered by the agent; still open."""
    sr = desk.file(berlin(MON, 9))
    with desk.at(berlin(MON, 10)):
        services.request_claim(service_request=fresh(sr), by=world.agent)
    desk.reply(sr, berlin(MON, 10))
    return fresh(sr)


@pytest.fixture
def resolved(desk, handled):
    desk.resolve(handled, RESOLVED_AT)
    return fresh(handled)


def rate(desk: Any, user: Any, sr: Any, rating: Any, comment: str = "") -> Any:
    return desk.post(user, url("request_rate", sr.reference), LATER, {"rating": rating, "comment": comment})


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def sent_to(address: str, subject_part: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to and subject_part in m.subject]


# --- rating on the request page ------------------------------------------------------------------


def test_the_requester_rates_a_resolved_request_on_its_page(desk, world, resolved):
    response = rate(desk, world.requester, resolved, 4, "Quick and kind.")

    assert response.status_code == 302
    assert response["Location"] == f"{resolved.get_absolute_url()}#feedback"
    feedback = Feedback.objects.get(request=resolved)
    assert (feedback.rating, feedback.comment, feedback.channel) == (4, "Quick and kind.", FeedbackChannel.PAGE)


def test_the_rating_shows_on_the_request_page(desk, world, resolved):
    rate(desk, world.requester, resolved, 4)

    page = desk.get(world.agent, resolved.get_absolute_url(), LATER).content.decode()

    assert "4 / 5" in page


def test_the_request_page_offers_the_rating_form_to_the_requester_once_resolved(desk, world, handled):
    form_action = f'action="{url("request_rate", handled.reference)}"'
    before = desk.get(world.requester, handled.get_absolute_url(), LATER).content.decode()
    desk.resolve(handled, RESOLVED_AT)

    after = desk.get(world.requester, handled.get_absolute_url(), LATER).content.decode()

    assert form_action not in before
    assert form_action in after


def test_the_request_page_offers_no_rating_form_to_the_department(desk, world, resolved):
    page = desk.get(world.agent, resolved.get_absolute_url(), LATER).content.decode()

    assert f'action="{url("request_rate", resolved.reference)}"' not in page
    assert "Not rated yet." in page


@pytest.mark.parametrize(("persona", "status"), [("agent", 403), ("lead", 403), ("colleague", 404), ("admin", 404)])
def test_only_the_requester_may_rate(desk, world, resolved, persona, status):
    response = rate(desk, getattr(world, persona), resolved, 5)

    assert response.status_code == status
    assert not Feedback.objects.exists()


def test_a_request_that_is_not_resolved_cannot_be_rated(desk, world, handled):
    response = rate(desk, world.requester, handled, 5)

    assert response.status_code == 302
    assert not Feedback.objects.exists()


def test_a_closed_request_can_still_be_rated(desk, world, resolved):
    with desk.at(berlin(MON, 12)):
        services.request_change_status(service_request=fresh(resolved), to_status=Status.CLOSED, by=world.agent)

    rate(desk, world.requester, resolved, 5)

    assert Feedback.objects.get(request=resolved).rating == 5


def test_a_cancelled_request_cannot_be_rated(desk, world):
    sr = desk.file(berlin(MON, 9))
    with desk.at(berlin(MON, 10)):
        services.request_cancel(service_request=fresh(sr), by=world.requester)

    with pytest.raises(ValidationError):
        desk.rate(sr, LATER, 5)


def test_a_request_is_rated_only_once(desk, world, resolved):
    rate(desk, world.requester, resolved, 5)

    client = desk.client(world.requester, LATER)
    with desk.at(LATER):
        response = client.post(url("request_rate", resolved.reference), {"rating": 1}, follow=True)

    assert "This request has been rated already" in response.content.decode()
    assert list(Feedback.objects.values_list("rating", flat=True)) == [5]


@pytest.mark.parametrize("rating", [0, 6, "", "five"])
def test_a_rating_outside_1_to_5_is_refused(desk, world, resolved, rating):
    rate(desk, world.requester, resolved, rating)

    assert not Feedback.objects.exists()


# --- low ratings and their follow-ups ------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 2])
def test_a_rating_of_2_or_less_opens_a_follow_up_for_the_department(desk, world, resolved, rating):
    rate(desk, world.requester, resolved, rating)

    follow_up = FeedbackFollowUp.objects.get()
    assert follow_up.feedback.request_id == resolved.pk
    assert follow_up.department_id == world.it.pk
    assert follow_up.is_open


def test_a_rating_of_3_opens_no_follow_up(desk, world, resolved):
    rate(desk, world.requester, resolved, 3)

    assert not FeedbackFollowUp.objects.exists()


def test_a_low_rating_emails_the_departments_leads(desk, world, resolved):
    rate(desk, world.requester, resolved, 2, "Took ages.")

    [message] = [m for m in mail.outbox if "please follow up" in m.subject]
    assert message.subject == f"[{resolved.reference}] Rated 2/5: please follow up"
    assert message.to == [world.lead.email]
    assert "Took ages." in message.body


def test_a_good_rating_emails_nobody(desk, world, resolved):
    mail.outbox.clear()

    rate(desk, world.requester, resolved, 4)

    assert mail.outbox == []


def test_an_open_follow_up_is_listed_on_the_leads_dashboard(desk, world, resolved):
    rate(desk, world.requester, resolved, 2, "Took ages.")

    page = desk.get(world.lead, url("department_dashboard", world.it.slug), LATER).content.decode()

    assert "Low ratings to follow up (1)" in page
    assert f">{resolved.reference}</a> rated <strong>2/5</strong>" in page
    assert "Took ages." in page


def close_follow_up(desk: Any, user: Any, follow_up: Any, **data: Any) -> Any:
    return desk.post(user, url("follow_up_close", follow_up.department.slug, follow_up.pk), LATER, data)


def test_a_lead_closes_a_follow_up_with_what_was_done(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)
    follow_up = FeedbackFollowUp.objects.get()

    response = close_follow_up(desk, world.lead, follow_up, action_taken="Called them; new laptop sent.")

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert not follow_up.is_open
    assert (follow_up.closed_by, follow_up.action_taken) == (world.lead, "Called them; new laptop sent.")


def test_a_closed_follow_up_leaves_the_dashboard(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)
    close_follow_up(desk, world.lead, FeedbackFollowUp.objects.get(), action_taken="Called them.")

    page = desk.get(world.lead, url("department_dashboard", world.it.slug), LATER).content.decode()

    assert "Low ratings to follow up (0)" in page


def test_the_dashboard_lists_open_follow_ups_a_page_at_a_time_oldest_first(desk, world):
    rated = []
    for n in range(FOLLOW_UPS_PER_PAGE + 3):
        sr = desk.file(berlin(MON, 8, n))
        desk.resolve(sr, berlin(MON, 9, n), by=world.agent)
        desk.rate(sr, berlin(MON, 10, n), 1)
        rated.append(sr.reference)
    path = url("department_dashboard", world.it.slug)

    first = desk.get(world.lead, path, LATER).content.decode()
    second = desk.get(world.lead, path + "?follow_ups=2", LATER).content.decode()
    beyond = desk.get(world.lead, path + "?follow_ups=99", LATER).content.decode()

    def listed(page: str) -> list[str]:
        return re.findall(r'class="ref" href="[^"]+">([^<]+)</a> rated', page)

    total = FOLLOW_UPS_PER_PAGE + 3
    assert f"Low ratings to follow up ({total})" in first
    assert listed(first) == rated[:FOLLOW_UPS_PER_PAGE]
    assert f"Oldest first: 1–{FOLLOW_UPS_PER_PAGE} of {total}" in first and "follow_ups=2" in first
    assert listed(second) == rated[FOLLOW_UPS_PER_PAGE:]
    assert listed(beyond) == listed(second)


def test_closing_a_follow_up_needs_a_text(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)
    follow_up = FeedbackFollowUp.objects.get()

    close_follow_up(desk, world.lead, follow_up, action_taken="   ")

    follow_up.refresh_from_db()
    assert follow_up.is_open


def test_only_a_lead_closes_a_follow_up(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)
    follow_up = FeedbackFollowUp.objects.get()

    with pytest.raises(PermissionDenied):
        feedback_services.follow_up_close(follow_up=follow_up, by=world.agent, action_taken="Nothing")

    follow_up.refresh_from_db()
    assert follow_up.is_open


def test_a_follow_up_is_closed_once(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)
    follow_up = FeedbackFollowUp.objects.get()
    feedback_services.follow_up_close(follow_up=follow_up, by=world.lead, action_taken="Called them.")

    with pytest.raises(ValidationError):
        feedback_services.follow_up_close(follow_up=FeedbackFollowUp.objects.get(), by=world.lead, action_taken="Again")

    assert FeedbackFollowUp.objects.get().action_taken == "Called them."


def test_telling_the_requester_emails_them_what_was_done(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)

    close_follow_up(
        desk, world.lead, FeedbackFollowUp.objects.get(), action_taken="New laptop sent.", tell_requester="on"
    )

    [message] = sent_to(world.requester.email, "What we did about your feedback")
    assert message.subject == f"[{resolved.reference}] What we did about your feedback"
    assert "New laptop sent." in message.body
    assert FeedbackFollowUp.objects.get().requester_told


def test_not_telling_the_requester_sends_them_nothing(desk, world, resolved):
    rate(desk, world.requester, resolved, 1)

    close_follow_up(desk, world.lead, FeedbackFollowUp.objects.get(), action_taken="New laptop sent.")

    assert sent_to(world.requester.email, "What we did about your feedback") == []


# --- thanks --------------------------------------------------------------------------------------


def thank(desk: Any, sender: Any, sr: Any, recipient: Any, message: str = "You saved my day!", at=LATER) -> Any:
    return desk.post(sender, url("request_thank", sr.reference), at, {"recipient": recipient.pk, "message": message})


def test_the_requester_thanks_the_assignee(desk, world, resolved):
    response = thank(desk, world.requester, resolved, world.agent)

    assert response.status_code == 302
    kudos = Kudos.objects.get()
    assert (kudos.sender, kudos.recipient, kudos.request_id) == (world.requester, world.agent, resolved.pk)
    assert (kudos.department, kudos.message) == (world.it, "You saved my day!")


def test_the_thank_page_offers_the_people_who_took_part(desk, world, resolved):
    response = desk.get(world.requester, url("request_thank", resolved.reference), LATER)

    assert [p.username for p in response.context["people"]] == ["agent"]


def test_anyone_who_took_part_can_thank_another_participant(desk, world, resolved):
    desk.reply(resolved, LATER - timedelta(hours=1), by=world.lead, body="Checked the order.")

    thank(desk, world.agent, resolved, world.lead, "Thanks for checking the order.")

    assert Kudos.objects.get().recipient == world.lead


def test_thanks_to_a_requester_count_for_their_home_department(desk, world, resolved):
    Profile.objects.create(user=world.requester, department=world.hr)

    thank(desk, world.agent, resolved, world.requester, "Thanks for the quick answers.")

    assert Kudos.objects.get().department == world.hr


def test_someone_who_did_not_take_part_cannot_thank_for_the_request(desk, world, resolved):
    # The lead may see the request but never touched it.
    response = thank(desk, world.lead, resolved, world.agent)

    assert response.status_code == 400
    assert not Kudos.objects.exists()
    with pytest.raises(PermissionDenied):
        feedback_services.kudos_give(service_request=resolved, sender=world.lead, recipient=world.agent, message="Hi")


def test_someone_who_cannot_see_the_request_cannot_thank_for_it(desk, world, resolved):
    response = thank(desk, world.colleague, resolved, world.agent)

    assert response.status_code == 404
    assert not Kudos.objects.exists()


def test_only_people_who_took_part_can_be_thanked(desk, world, resolved):
    with pytest.raises(ValidationError):
        feedback_services.kudos_give(
            service_request=resolved, sender=world.requester, recipient=world.lead, message="Hi"
        )

    assert not Kudos.objects.exists()


def test_thanking_oneself_does_not_count(desk, world, resolved):
    with pytest.raises(ValidationError):
        feedback_services.kudos_give(service_request=resolved, sender=world.agent, recipient=world.agent, message="Me!")


def test_a_colleague_is_thanked_once_per_request(desk, world, resolved):
    thank(desk, world.requester, resolved, world.agent)

    with pytest.raises(ValidationError):
        feedback_services.kudos_give(
            service_request=resolved, sender=world.requester, recipient=world.agent, message="Again"
        )

    assert Kudos.objects.count() == 1


def test_the_thank_page_no_longer_offers_someone_already_thanked(desk, world, resolved):
    thank(desk, world.requester, resolved, world.agent)

    response = desk.get(world.requester, url("request_thank", resolved.reference), LATER)

    assert response.context["people"] == []


def test_thanks_need_a_short_message(desk, world, resolved):
    thank(desk, world.requester, resolved, world.agent, "")
    thank(desk, world.requester, resolved, world.agent, "x" * 281)

    assert not Kudos.objects.exists()


def test_thanks_appear_on_the_request_page(desk, world, resolved):
    thank(desk, world.requester, resolved, world.agent)

    page = desk.get(world.requester, resolved.get_absolute_url(), LATER).content.decode()

    assert re.search(
        r"<strong>Requester Tester</strong> thanked\s+<a [^>]*>Agent Tester</a>: “You saved my day!”", page
    )


def test_thanks_appear_on_the_persons_page(desk, world, resolved):
    thank(desk, world.requester, resolved, world.agent)

    page = desk.get(world.colleague, url("person", "agent"), LATER).content.decode()

    assert "Thanks received (1)" in page
    assert "<strong>Requester Tester</strong>: “You saved my day!”" in page
    assert resolved.reference in page


def test_the_recipient_is_emailed_the_thanks(desk, world, resolved):
    thank(desk, world.requester, resolved, world.agent)

    [message] = sent_to(world.agent.email, "thanks you")
    assert message.subject == f"Requester Tester thanks you ({resolved.reference})"
    assert "You saved my day!" in message.body


# --- the recognition board -----------------------------------------------------------------------

TODAY = berlin(date(2027, 2, 19), 12)  # the quarter began on 1 January, the month on 1 February


@pytest.fixture
def thanked(desk, world):
    """The agent thanked on 15 December (last quarter), 20 January, 3 and 10 February; the lead on 5 February."""
    for day, recipient in [
        (date(2026, 12, 15), world.agent),
        (date(2027, 1, 20), world.agent),
        (date(2027, 2, 3), world.agent),
        (date(2027, 2, 5), world.lead),
        (date(2027, 2, 10), world.agent),
    ]:
        sr = desk.served(berlin(day, 9), reply=berlin(day, 10), by=recipient)
        desk.thank(sr, berlin(day, 11), sender=world.requester, recipient=recipient, message=f"Thanks for {day}")


def board(page: str, which: str) -> list[tuple[str, int]]:
    items = re.search(rf'id="board-{which}">(.*?)</ol>', page, re.S).group(1)
    return [(name, int(n)) for name, n in re.findall(r">([^<]+)</a><span[^>]*>(\d+)</span>", items)]


def test_the_recognition_board_counts_this_months_thanks(desk, world, thanked):
    page = desk.get(world.colleague, url("thanks_board", world.it.slug), TODAY).content.decode()

    assert board(page, "month") == [("Agent Tester", 2), ("Lead Tester", 1)]


def test_the_recognition_board_counts_this_quarters_thanks(desk, world, thanked):
    page = desk.get(world.colleague, url("thanks_board", world.it.slug), TODAY).content.decode()

    assert board(page, "quarter") == [("Agent Tester", 3), ("Lead Tester", 1)]


def test_the_recognition_board_starts_afresh_with_a_new_quarter(desk, world, thanked):
    page = desk.get(world.colleague, url("thanks_board", world.it.slug), berlin(date(2027, 4, 1), 12))

    assert board(page.content.decode(), "quarter") == []


def test_the_recognition_board_shows_the_latest_thanks(desk, world, thanked):
    page = desk.get(world.colleague, url("thanks_board", world.it.slug), TODAY).content.decode()

    assert (
        page.index("Thanks for 2027-02-10") < page.index("Thanks for 2027-02-05") < page.index("Thanks for 2026-12-15")
    )


def test_another_departments_board_does_not_show_these_thanks(desk, world, thanked):
    page = desk.get(world.colleague, url("thanks_board", world.hr.slug), TODAY).content.decode()

    assert board(page, "quarter") == []
    assert "Thanks for" not in page
