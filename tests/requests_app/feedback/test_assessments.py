"""Quality assessments of IT by its internal customers: starting one, who is invited, emails sent exactly
once, reminders every three days, the answer page, results with the anonymity threshold, actions and
their overdue reminders, and the monthly service review on the first working day of the month.

Sales (Sam, Sue, Sid) and Marketing (Mia, Max) are IT's customers: their home department on their
profile says where they work. The IT agent's home department is Sales too, but they serve in IT, so
they never assess it. Assessments start on Monday 1 March 2027 at 09:00 Berlin and close on the 15th.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import Holiday, Profile, Role
from departments.services import calendar_compile
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import (
    FIXED_CRITERIA,
    Assessment,
    AssessmentAction,
    AssessmentAnswer,
    AssessmentInvitation,
    AssessmentStatus,
    MonthlyReview,
)
from requests_app.feedback.selectors.assessments import assessment_results, weak_criteria
from requests_app.feedback.selectors.dashboards import review_figures
from requests_app.feedback.services.assessments import Score

from ... import factories
from .desk import berlin, url

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

STARTED = berlin(date(2027, 3, 1), 9)
CLOSES = berlin(date(2027, 3, 15), 17)
FIXED_KEYS = [key for key, _, _ in FIXED_CRITERIA]


@dataclass
class Customers:
    sales: Any
    marketing: Any
    sam: Any
    sue: Any
    sid: Any
    mia: Any
    max: Any


@pytest.fixture
def customers(world) -> Customers:
    sales = factories.make_department("Sales", "SA")
    marketing = factories.make_department("Marketing", "MK")
    people = {}
    for name, home in [("sam", sales), ("sue", sales), ("sid", sales), ("mia", marketing), ("max", marketing)]:
        people[name] = factories.make_user(name)
        Profile.objects.create(user=people[name], department=home)
    Profile.objects.create(user=world.agent, department=sales)  # works in Sales, serves in IT
    return Customers(sales, marketing, **people)


def start(desk: Any, world: Any, departments: list[Any], *, at: datetime = STARTED, **options: Any) -> Assessment:
    options.setdefault("title", "Spring 2027")
    options.setdefault("closes_at", CLOSES)
    with desk.at(at):
        return feedback_services.assessment_start(
            department=world.it, by=options.pop("by", world.lead), respondent_departments=departments, **options
        )


def invitation(assessment: Assessment, person: Any) -> AssessmentInvitation:
    return AssessmentInvitation.objects.get(assessment=assessment, respondent=person)


def answer(desk: Any, assessment: Assessment, person: Any, at: datetime, score: int = 3, **scores: int):
    """``person`` scores every criterion ``score`` (or as ``scores`` says), with a comment on responsiveness."""
    invited = invitation(assessment, person)
    chosen = {
        c.key: Score(scores.get(c.key, score), f"{person.username} says so" if c.key == "responsiveness" else "")
        for c in assessment.criteria.all()
    }
    with desk.at(at):
        return feedback_services.assessment_answer(invitation=invited, by=person, scores=chosen)


def mails(kind: str) -> list[Any]:
    """Sent feedback-loop mails of one kind ("invitation", "reminder", ...), by their X-Servicedesk-Mail key."""
    return [m for m in mail.outbox if m.extra_headers.get("X-Servicedesk-Mail", "").startswith(f"{kind}:")]


def keys(kind: str) -> list[str]:
    return sorted(m.extra_headers["X-Servicedesk-Mail"] for m in mails(kind))


# --- starting an assessment ----------------------------------------------------------------------


def test_a_lead_starts_an_assessment_with_the_four_fixed_criteria(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    assert assessment.status == AssessmentStatus.OPEN
    assert [c.key for c in assessment.criteria.all()] == FIXED_KEYS
    assert FIXED_KEYS == ["responsiveness", "time_commitments", "follow_up", "empathy"]


def test_a_lead_adds_up_to_three_criteria_of_their_own(desk, world, customers):
    assessment = start(
        desk, world, [customers.sales], custom_criteria=["Clear language", "Good documentation", "Tidy handover"]
    )

    criteria = list(assessment.criteria.all())
    assert [c.label for c in criteria[4:]] == ["Clear language", "Good documentation", "Tidy handover"]
    assert [c.custom for c in criteria] == [False] * 4 + [True] * 3


def test_a_fourth_criterion_of_ones_own_is_refused(desk, world, customers):
    with pytest.raises(ValidationError) as refused:
        start(desk, world, [customers.sales], custom_criteria=["One", "Two", "Three", "Four"])

    assert "custom_criteria" in refused.value.message_dict
    assert not Assessment.objects.exists()


def test_a_criterion_named_like_a_fixed_one_is_refused(desk, world, customers):
    with pytest.raises(ValidationError):
        start(desk, world, [customers.sales], custom_criteria=["Empathy"])


def test_a_closing_date_in_the_past_is_refused(desk, world, customers):
    with pytest.raises(ValidationError) as refused:
        start(desk, world, [customers.sales], closes_at=STARTED - timedelta(minutes=1))

    assert "closes_at" in refused.value.message_dict
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("persona", ["agent", "other_agent", "requester", "admin"])
def test_only_a_lead_of_the_department_starts_its_assessment(desk, world, customers, persona):
    with pytest.raises(PermissionDenied):
        start(desk, world, [customers.sales], by=getattr(world, persona))

    assert not Assessment.objects.exists()


def test_a_department_cannot_be_its_own_respondent(desk, world, customers):
    with pytest.raises(ValidationError) as refused:
        start(desk, world, [world.it])

    assert "respondent_departments" in refused.value.message_dict


def test_a_lead_starts_an_assessment_from_the_assessments_page(desk, world, customers):
    response = desk.post(
        world.lead,
        url("assessment_list", world.it.slug),
        STARTED,
        {
            "title": "Spring 2027",
            "closes_at": "2027-03-15T16:00",
            "respondent_departments": [customers.sales.pk],
            "respondents": "",
            "criterion_1": "Clear language",
        },
    )

    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("assessment_detail", assessment.pk)
    assert assessment.criteria.count() == 5
    assert assessment.invitations.count() == 3


def test_an_agent_cannot_start_an_assessment_from_the_page(desk, world, customers):
    response = desk.post(
        world.agent,
        url("assessment_list", world.it.slug),
        STARTED,
        {"title": "Mine", "closes_at": "2027-03-15T16:00", "respondent_departments": [customers.sales.pk]},
    )

    assert response.status_code == 403
    assert not Assessment.objects.exists()


# --- who is invited ------------------------------------------------------------------------------


def invited(assessment: Assessment) -> set[tuple[str, str]]:
    return set(assessment.invitations.values_list("respondent__username", "group__name"))


def test_everyone_whose_home_is_an_answering_department_is_invited(desk, world, customers):
    assessment = start(desk, world, [customers.sales, customers.marketing])

    assert invited(assessment) == {
        ("sam", "Sales"),
        ("sue", "Sales"),
        ("sid", "Sales"),
        ("mia", "Marketing"),
        ("max", "Marketing"),
    }


def test_members_of_the_assessed_department_are_never_invited(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    assert "agent" not in {name for name, _ in invited(assessment)}  # home: Sales; serves in IT


def test_agents_of_an_answering_department_answer_for_it(desk, world, customers):
    assessment = start(desk, world, [world.hr])

    assert invited(assessment) == {("hragent", "HR")}


def test_chosen_people_are_the_only_ones_invited(desk, world, customers):
    assessment = start(desk, world, [customers.sales, customers.marketing], respondents=[customers.sam, customers.mia])

    assert invited(assessment) == {("sam", "Sales"), ("mia", "Marketing")}


def test_a_chosen_person_from_the_assessed_department_is_left_out(desk, world, customers):
    assessment = start(desk, world, [customers.sales], respondents=[customers.sam, world.agent])

    assert invited(assessment) == {("sam", "Sales")}


def test_choosing_only_people_of_the_assessed_department_is_refused(desk, world, customers):
    with pytest.raises(ValidationError):
        start(desk, world, [customers.sales], respondents=[world.agent])


def test_a_chosen_person_outside_the_answering_departments_is_refused(desk, world, customers):
    with pytest.raises(ValidationError) as refused:
        start(desk, world, [customers.sales], respondents=[customers.mia])

    assert "respondents" in refused.value.message_dict


# --- invitation emails ---------------------------------------------------------------------------


def test_each_respondent_is_emailed_their_own_link(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    by_person = {m.to[0]: m for m in mails("invitation")}
    assert sorted(by_person) == ["sam@example.com", "sid@example.com", "sue@example.com"]
    token = invitation(assessment, customers.sam).token
    assert url("assessment_answer", token) in by_person["sam@example.com"].body
    assert by_person["sam@example.com"].subject == "How does IT serve you? (Spring 2027)"


def test_an_invitation_email_is_sent_once_even_when_delivered_twice(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    sam = invitation(assessment, customers.sam)

    again = desk.deliver(STARTED, "invitation", sam.pk)

    assert again is False
    assert keys("invitation").count(f"invitation:{sam.pk}:0") == 1


def test_the_sweep_sends_invitations_whose_delivery_was_never_enqueued(desk, world, customers):
    # The broker was down: the on-commit enqueue never ran (the test's transaction never commits).
    with time_machine.travel(STARTED, tick=False):
        feedback_services.assessment_start(
            department=world.it,
            by=world.lead,
            title="Spring",
            closes_at=CLOSES,
            respondent_departments=[customers.sales],
        )
    assert mails("invitation") == []

    desk.feedback_sweep(STARTED + timedelta(minutes=5))
    desk.feedback_sweep(STARTED + timedelta(minutes=10))

    assert len(mails("invitation")) == 3


# --- reminders -----------------------------------------------------------------------------------


def test_no_reminder_before_three_days(desk, world, customers):
    start(desk, world, [customers.sales])

    desk.feedback_sweep(STARTED + timedelta(days=3, minutes=-1))

    assert mails("reminder") == []


def test_everyone_who_has_not_answered_is_reminded_after_three_days(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    answer(desk, assessment, customers.sam, STARTED + timedelta(days=1))

    desk.feedback_sweep(STARTED + timedelta(days=3))

    assert sorted(m.to[0] for m in mails("reminder")) == ["sid@example.com", "sue@example.com"]
    assert all(m.subject.startswith("Reminder: ") for m in mails("reminder"))


def test_reminders_come_every_three_days_until_answered(desk, world, customers):
    assessment = start(desk, world, [customers.sales], respondents=[customers.sue])
    sue = invitation(assessment, customers.sue)

    for day in range(1, 8):
        desk.feedback_sweep(STARTED + timedelta(days=day))
    answer(desk, assessment, customers.sue, STARTED + timedelta(days=8))
    for day in range(9, 14):
        desk.feedback_sweep(STARTED + timedelta(days=day))

    assert keys("reminder") == [f"reminder:{sue.pk}:1", f"reminder:{sue.pk}:2"]  # days 3 and 6


def test_no_reminders_once_the_assessment_closed(desk, world, customers):
    assessment = start(desk, world, [customers.sales], closes_at=STARTED + timedelta(days=5))

    result = desk.feedback_sweep(STARTED + timedelta(days=6))

    assert result.closed == 1
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.CLOSED
    assert mails("reminder") == []


def test_no_reminders_after_a_lead_closes_the_assessment_early(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    with desk.at(STARTED + timedelta(days=1)):
        feedback_services.assessment_close(assessment=assessment, by=world.lead)

    desk.feedback_sweep(STARTED + timedelta(days=3))

    assert mails("reminder") == []


def test_each_reminder_is_sent_once_when_sweep_and_delivery_run_twice(desk, world, customers):
    assessment = start(desk, world, [customers.sales], respondents=[customers.sue])
    sue = invitation(assessment, customers.sue)
    moment = STARTED + timedelta(days=3)

    desk.feedback_sweep(moment)
    desk.feedback_sweep(moment)
    again = desk.deliver(moment, "reminder", sue.pk, 1)

    assert again is False
    assert keys("reminder") == [f"reminder:{sue.pk}:1"]


# --- the answer page -----------------------------------------------------------------------------


def answer_page(assessment: Assessment, person: Any) -> str:
    return url("assessment_answer", invitation(assessment, person).token)


def full_answer(assessment: Assessment, score: int = 4) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for criterion in assessment.criteria.all():
        data[f"score_{criterion.key}"] = score
        data[f"comment_{criterion.key}"] = ""
    return data


def page_state(response: Any) -> str:
    return re.search(r'id="assessment-answer" data-state="(\w+)"', response.content.decode()).group(1)


def test_the_invited_person_opens_the_answer_page_by_its_token(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    response = desk.get(customers.sam, answer_page(assessment, customers.sam), STARTED + timedelta(hours=1))

    assert response.status_code == 200
    assert page_state(response) == "open"
    assert 'name="score_responsiveness"' in response.content.decode()


def test_the_invited_person_answers_every_criterion_at_once(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    response = desk.post(
        customers.sam, answer_page(assessment, customers.sam), STARTED + timedelta(hours=1), full_answer(assessment)
    )

    assert page_state(response) == "thanks"
    assert invitation(assessment, customers.sam).answered_at == STARTED + timedelta(hours=1)
    assert sorted(AssessmentAnswer.objects.values_list("criterion__key", "score")) == sorted(
        (key, 4) for key in FIXED_KEYS
    )


def test_an_answer_missing_a_score_is_refused(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    data = full_answer(assessment)
    del data["score_empathy"]

    response = desk.post(customers.sam, answer_page(assessment, customers.sam), STARTED + timedelta(hours=1), data)

    assert response.status_code == 400
    assert not AssessmentAnswer.objects.exists()


@pytest.mark.parametrize("persona", ["sue", "agent", "lead"])
def test_someone_else_with_the_link_is_refused(desk, world, customers, persona):
    assessment = start(desk, world, [customers.sales])
    someone = getattr(customers, persona, None) or getattr(world, persona)

    response = desk.post(
        someone, answer_page(assessment, customers.sam), STARTED + timedelta(hours=1), full_answer(assessment)
    )

    assert response.status_code == 403
    assert page_state(response) == "wrong_person"
    assert not AssessmentAnswer.objects.exists()


def test_answering_twice_is_refused(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    path = answer_page(assessment, customers.sam)
    desk.post(customers.sam, path, STARTED + timedelta(hours=1), full_answer(assessment, 4))

    response = desk.post(customers.sam, path, STARTED + timedelta(hours=2), full_answer(assessment, 1))

    assert page_state(response) == "answered"
    assert set(AssessmentAnswer.objects.values_list("score", flat=True)) == {4}
    with pytest.raises(ValidationError):
        answer(desk, assessment, customers.sam, STARTED + timedelta(hours=3), score=1)


def test_a_closed_assessment_takes_no_more_answers(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    with desk.at(STARTED + timedelta(days=1)):
        feedback_services.assessment_close(assessment=assessment, by=world.lead)

    response = desk.post(
        customers.sam, answer_page(assessment, customers.sam), STARTED + timedelta(days=2), full_answer(assessment)
    )

    assert response.status_code == 410
    assert page_state(response) == "closed"
    assert not AssessmentAnswer.objects.exists()


def test_an_assessment_past_its_closing_time_takes_no_more_answers_before_the_sweep(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    response = desk.get(customers.sam, answer_page(assessment, customers.sam), CLOSES + timedelta(minutes=1))

    assert response.status_code == 410


def test_an_unknown_token_finds_nothing(desk, world, customers):
    start(desk, world, [customers.sales])

    response = desk.get(customers.sam, url("assessment_answer", "made-up-token"), STARTED)

    assert response.status_code == 404


# --- results and the anonymity threshold ---------------------------------------------------------


@pytest.fixture
def answered(desk, world, customers) -> Assessment:
    """Autumn (February): Sales scored responsiveness 2, 2, 2. Spring (March): on responsiveness Sales
    4, 4, 5, Marketing 1, 2 and HR (its agent) 3; 3 on everything else. The two small groups have three
    respondents together, so Sales may be shown on its own without singling anyone out."""
    autumn = start(desk, world, [customers.sales], at=berlin(date(2027, 2, 1), 9), title="Autumn 2026")
    for person in (customers.sam, customers.sue, customers.sid):
        answer(desk, autumn, person, berlin(date(2027, 2, 2), 9), responsiveness=2)
    close(desk, world, autumn, berlin(date(2027, 2, 20), 9))

    spring = start(desk, world, [customers.sales, customers.marketing, world.hr])
    day = berlin(date(2027, 3, 2), 9)
    for person, score in [
        (customers.sam, 4),
        (customers.sue, 4),
        (customers.sid, 5),
        (customers.mia, 1),
        (customers.max, 2),
        (world.other_agent, 3),
    ]:
        answer(desk, spring, person, day, responsiveness=score)
    close(desk, world, spring, berlin(date(2027, 3, 2), 10))
    return spring


def criterion(results: Any, key: str) -> Any:
    return next(r for r in results.criteria if r.criterion.key == key)


def answered_by_sales(desk: Any, world: Any, customers: Any, **scores: int) -> Assessment:
    """An assessment that Sam, Sue and Sid of Sales answered on its second day (2 on everything unless
    ``scores`` says otherwise), still open."""
    assessment = start(desk, world, [customers.sales])
    for person in (customers.sam, customers.sue, customers.sid):
        answer(desk, assessment, person, STARTED + timedelta(days=1), **(scores or {"score": 2}))
    return assessment


def close(desk: Any, world: Any, assessment: Assessment, when: datetime) -> None:
    """A lead closes the assessment for answers: its results are shown from then on."""
    with desk.at(when):
        feedback_services.assessment_close(assessment=assessment, by=world.lead)


def test_results_give_each_criterions_average_over_everyone(answered):
    responsiveness = criterion(assessment_results(answered), "responsiveness")

    assert responsiveness.count == 6
    assert responsiveness.average == (4 + 4 + 5 + 1 + 2 + 3) / 6


def test_results_compare_each_criterion_with_the_previous_assessment(answered):
    results = assessment_results(answered)
    responsiveness = criterion(results, "responsiveness")

    assert results.previous.title == "Autumn 2026"
    assert responsiveness.previous == 2.0
    assert responsiveness.change == pytest.approx(19 / 6 - 2)
    assert criterion(results, "empathy").change == 0


def test_a_group_of_three_respondents_is_shown_on_its_own(answered, customers):
    responsiveness = criterion(assessment_results(answered), "responsiveness")

    assert responsiveness.by_group[customers.sales.pk] == (3, (4 + 4 + 5) / 3)


def test_a_group_of_two_respondents_is_counted_only_in_the_aggregate(answered, customers):
    results = assessment_results(answered)

    assert customers.marketing.pk not in criterion(results, "responsiveness").by_group
    assert [(g.department.name, g.shown) for g in results.groups] == [
        ("HR", False),
        ("Marketing", False),
        ("Sales", True),
    ]
    assert results.hidden_groups == 2


def test_a_lone_small_group_is_not_shown_through_the_difference_with_the_others(desk, world, customers):
    """Sales (3) beside the aggregate of 4 would give away the one Marketing answer: 4 x all - 3 x Sales."""
    assessment = start(desk, world, [customers.sales, customers.marketing])
    for person, score in [(customers.sam, 4), (customers.sue, 4), (customers.sid, 5), (customers.mia, 1)]:
        answer(desk, assessment, person, STARTED + timedelta(days=1), responsiveness=score)
    close(desk, world, assessment, STARTED + timedelta(days=1, hours=1))

    results = assessment_results(assessment)
    page = desk.get(world.lead, url("assessment_detail", assessment.pk), STARTED + timedelta(days=2)).content.decode()

    assert results.shown
    assert criterion(results, "responsiveness").average == (4 + 4 + 5 + 1) / 4
    assert criterion(results, "responsiveness").by_group == {}
    assert "Sales (3)" not in page


def test_a_comparison_with_a_previous_assessment_below_the_threshold_is_not_shown(desk, world, customers):
    autumn = start(desk, world, [customers.sales], at=berlin(date(2027, 2, 1), 9), title="Autumn 2026")
    for person in (customers.sam, customers.sue):  # two answers: never shown, not even as a comparison
        answer(desk, autumn, person, berlin(date(2027, 2, 2), 9), responsiveness=1)
    close(desk, world, autumn, berlin(date(2027, 2, 20), 9))
    spring = start(desk, world, [customers.sales])
    for person in (customers.sam, customers.sue, customers.sid):
        answer(desk, spring, person, STARTED + timedelta(days=1), responsiveness=4)

    responsiveness = criterion(assessment_results(spring), "responsiveness")

    assert responsiveness.previous is None
    assert responsiveness.change is None


def test_the_results_page_shows_groups_of_three_and_hides_smaller_ones(desk, world, answered):
    page = desk.get(world.agent, url("assessment_detail", answered.pk), berlin(date(2027, 3, 3), 9)).content.decode()

    assert '<th scope="col">Sales (3)</th>' in page
    assert "Marketing (" not in page and "HR (" not in page
    assert "2 groups with fewer than 3 respondents are counted in the averages only" in page
    row = re.search(r'data-criterion="responsiveness">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["3.2 / 5", "+1.2", "4.3 / 5"]  # 19/6, 19/6 - 2, 13/3


def test_the_results_page_lists_comments_without_names_or_groups(desk, world, answered):
    page = desk.get(world.lead, url("assessment_detail", answered.pk), berlin(date(2027, 3, 3), 9)).content.decode()

    assert "<li>mia says so</li>" in page  # the comment text is the respondent's own
    assert "Mia Tester" not in page and "Marketing" not in page


def test_fewer_than_three_respondents_in_total_shows_nothing(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    answer(desk, assessment, customers.sam, STARTED + timedelta(days=1), score=1)
    answer(desk, assessment, customers.sue, STARTED + timedelta(days=1), score=1)
    close(desk, world, assessment, STARTED + timedelta(days=1, hours=1))

    results = assessment_results(assessment)
    page = desk.get(world.lead, url("assessment_detail", assessment.pk), STARTED + timedelta(days=2)).content.decode()

    assert not results.shown
    assert 'id="not-enough"' in page
    assert 'id="results"' not in page
    assert "sam says so" not in page


def test_three_respondents_in_total_show_the_results(desk, world, customers):
    assessment = answered_by_sales(desk, world, customers)
    close(desk, world, assessment, STARTED + timedelta(days=1, hours=1))

    page = desk.get(world.lead, url("assessment_detail", assessment.pk), STARTED + timedelta(days=2)).content.decode()

    assert assessment_results(assessment).shown
    assert 'id="results"' in page


def test_an_open_assessment_shows_no_results_however_many_have_answered(desk, world, customers):
    """Results that moved with each answer would tell a lead, comparing them before and after a
    colleague answered, what that colleague said; so they wait for the close."""
    assessment = answered_by_sales(desk, world, customers)

    page = desk.get(world.lead, url("assessment_detail", assessment.pk), STARTED + timedelta(days=2)).content.decode()

    assert not assessment_results(assessment, STARTED + timedelta(days=2)).shown
    assert 'id="not-yet"' in page
    assert "3 answers so far" in page
    assert 'id="results"' not in page
    assert "sam says so" not in page


def test_results_are_shown_once_the_closing_time_has_passed_even_before_the_sweep_closes_it(desk, world, customers):
    assessment = answered_by_sales(desk, world, customers)

    page = desk.get(world.lead, url("assessment_detail", assessment.pk), CLOSES + timedelta(minutes=1)).content.decode()

    assert Assessment.objects.get(pk=assessment.pk).status == "open"
    assert 'id="results"' in page


def test_an_earlier_assessment_still_taking_answers_is_not_compared(desk, world, customers):
    autumn = start(desk, world, [customers.sales], at=berlin(date(2027, 2, 1), 9), title="Autumn 2026")
    for person in (customers.sam, customers.sue, customers.sid):
        answer(desk, autumn, person, berlin(date(2027, 2, 2), 9), responsiveness=1)
    spring = answered_by_sales(desk, world, customers, responsiveness=4)  # autumn closes on 15 March too
    close(desk, world, spring, STARTED + timedelta(days=1, hours=1))

    results = assessment_results(spring, STARTED + timedelta(days=2))

    assert results.shown
    assert results.previous is None
    assert criterion(results, "responsiveness").change is None


def test_weak_criteria_are_those_averaging_below_3_5(answered):
    weak = [r.criterion.key for r in weak_criteria(assessment_results(answered))]

    assert weak == ["responsiveness", "time_commitments", "follow_up", "empathy"]  # 3.17 and 3.0s


# --- actions -------------------------------------------------------------------------------------

DUE = date(2027, 3, 19)  # a Friday


def add_action(desk: Any, world: Any, assessment: Assessment, *, owner: Any = None, due_on: date = DUE) -> Any:
    with desk.at(STARTED + timedelta(days=2)):
        return feedback_services.assessment_action_add(
            assessment=assessment,
            by=world.lead,
            description="Answer every new request within two hours",
            owner=owner or world.agent,
            due_on=due_on,
            criterion=assessment.criteria.get(key="responsiveness"),
        )


def test_a_lead_records_an_action_with_an_owner_and_a_due_date(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    responsiveness = assessment.criteria.get(key="responsiveness")

    response = desk.post(
        world.lead,
        url("assessment_action_add", assessment.pk),
        STARTED + timedelta(days=2),
        {
            "criterion": responsiveness.pk,
            "description": "Answer within two hours",
            "owner": world.agent.pk,
            "due_on": "2027-03-19",
        },
    )

    assert response.status_code == 302
    action = AssessmentAction.objects.get()
    assert (action.owner, action.due_on, action.criterion) == (world.agent, DUE, responsiveness)


def test_the_owner_of_an_action_works_in_the_department(desk, world, customers):
    assessment = start(desk, world, [customers.sales])

    with pytest.raises(ValidationError) as refused:
        add_action(desk, world, assessment, owner=customers.sam)

    assert "owner" in refused.value.message_dict


def test_an_overdue_action_is_reminded_to_its_owner_and_the_leads(desk, world, customers):
    action = add_action(desk, world, start(desk, world, [customers.sales]))

    desk.feedback_sweep(berlin(date(2027, 3, 20), 10))

    [message] = mails("action_overdue")
    assert message.to == sorted([world.agent.email, world.lead.email])
    assert message.subject == "Overdue: Answer every new request within two hours (IT)"
    assert message.extra_headers["X-Servicedesk-Mail"] == f"action_overdue:{action.pk}:202711"


def test_an_action_is_not_overdue_on_its_due_date(desk, world, customers):
    add_action(desk, world, start(desk, world, [customers.sales]))

    desk.feedback_sweep(berlin(DUE, 16))

    assert mails("action_overdue") == []


def test_an_overdue_action_is_reminded_once_a_week(desk, world, customers):
    action = add_action(desk, world, start(desk, world, [customers.sales]))

    for moment in [
        berlin(date(2027, 3, 20), 10),  # Saturday of ISO week 11
        berlin(date(2027, 3, 20), 11),
        berlin(date(2027, 3, 21), 10),  # Sunday, the same week
        berlin(date(2027, 3, 22), 10),  # Monday of week 12
        berlin(date(2027, 3, 26), 10),
    ]:
        desk.feedback_sweep(moment)

    assert keys("action_overdue") == [f"action_overdue:{action.pk}:202711", f"action_overdue:{action.pk}:202712"]


def test_an_overdue_reminder_delivered_twice_is_sent_once(desk, world, customers):
    action = add_action(desk, world, start(desk, world, [customers.sales]))
    moment = berlin(date(2027, 3, 20), 10)
    desk.feedback_sweep(moment)

    again = desk.deliver(moment, "action_overdue", action.pk)

    assert again is False
    assert len(mails("action_overdue")) == 1


def test_a_done_action_is_not_reminded(desk, world, customers):
    action = add_action(desk, world, start(desk, world, [customers.sales]))
    with desk.at(berlin(date(2027, 3, 18), 10)):
        feedback_services.assessment_action_done(action=action, by=world.agent)

    desk.feedback_sweep(berlin(date(2027, 3, 20), 10))

    assert mails("action_overdue") == []


def test_open_actions_are_shown_on_the_dashboard_and_overdue_ones_stand_out(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    add_action(desk, world, assessment)
    add_action(desk, world, assessment, due_on=date(2027, 4, 30))

    page = desk.get(world.agent, url("department_dashboard", world.it.slug), berlin(date(2027, 3, 22), 10))

    html = page.content.decode()
    assert "Assessment actions open (2)" in html
    items = re.findall(r'<li class="list-group-item([^"]*)">Answer every new request', html)
    assert items == [" list-group-item-warning", ""]  # due 19 March: overdue; due 30 April: not yet


def test_done_actions_leave_the_dashboard(desk, world, customers):
    action = add_action(desk, world, start(desk, world, [customers.sales]))
    with desk.at(berlin(date(2027, 3, 18), 10)):
        feedback_services.assessment_action_done(action=action, by=world.agent)

    page = desk.get(world.agent, url("department_dashboard", world.it.slug), berlin(date(2027, 3, 22), 10))

    assert "Assessment actions open (0)" in page.content.decode()


def test_the_assessment_page_marks_overdue_actions(desk, world, customers):
    assessment = start(desk, world, [customers.sales])
    add_action(desk, world, assessment)

    page = desk.get(world.lead, url("assessment_detail", assessment.pk), berlin(date(2027, 3, 22), 10))

    assert "· overdue" in page.content.decode()


def test_the_monthly_review_counts_actions_done_by_the_sites_calendar_days(desk, world, customers, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    action = add_action(desk, world, start(desk, world, [customers.sales]))
    with desk.at(berlin(date(2027, 4, 1), 0, 30)):  # 31 March 22:30 UTC: done in April, where the site is
        feedback_services.assessment_action_done(action=action, by=world.agent)

    march = review_figures(world.it, date(2027, 3, 1))
    april = review_figures(world.it, date(2027, 4, 1))

    assert march.actions_done == []
    assert april.actions_done == [action]


# --- the monthly service review ------------------------------------------------------------------

# 1 May 2027 is a Saturday: the first working day of May is Monday the 3rd.
SAT_1, MON_3, TUE_4 = date(2027, 5, 1), date(2027, 5, 3), date(2027, 5, 4)


def test_no_monthly_review_before_the_first_working_day_of_the_month(desk, world):
    desk.feedback_sweep(berlin(SAT_1, 10))
    desk.feedback_sweep(berlin(MON_3, 8, 59))

    assert not MonthlyReview.objects.exists()
    assert mails("monthly_review") == []


def test_the_monthly_review_goes_to_the_leads_on_the_first_working_day(desk, world):
    desk.feedback_sweep(berlin(MON_3, 9))

    review = MonthlyReview.objects.get()
    assert (review.department, review.month) == (world.it, date(2027, 4, 1))
    [message] = mails("monthly_review")
    assert message.to == [world.lead.email]
    assert message.subject == "IT: service review of April 2027"
    assert url("monthly_review", world.it.slug, "2027-04") in message.body
    assert review.recipients == world.lead.email


def test_the_monthly_review_is_sent_once(desk, world):
    for moment in [
        berlin(MON_3, 9),
        berlin(MON_3, 9),
        berlin(MON_3, 12),
        berlin(TUE_4, 9),
        berlin(date(2027, 5, 31), 9),
    ]:
        desk.feedback_sweep(moment)
    review = MonthlyReview.objects.get()

    again = desk.deliver(berlin(MON_3, 9, 5), "monthly_review", review.pk)

    assert again is False
    assert len(mails("monthly_review")) == 1


def test_a_holiday_on_the_first_working_day_moves_the_review_to_the_next(desk, world, office):
    Holiday.objects.create(calendar=office, date=MON_3, name="Bridge day")
    calendar_compile(calendar=office)

    desk.feedback_sweep(berlin(MON_3, 10))
    assert mails("monthly_review") == []

    desk.feedback_sweep(berlin(TUE_4, 9))
    assert len(mails("monthly_review")) == 1


def test_departments_without_leads_get_no_monthly_review(desk, world):
    desk.feedback_sweep(berlin(MON_3, 9))

    assert list(MonthlyReview.objects.values_list("department__name", flat=True)) == ["IT"]


def test_every_lead_of_the_department_gets_the_review(desk, world):
    second = factories.make_user("second_lead")
    factories.add_member(second, world.it, Role.LEAD)

    desk.feedback_sweep(berlin(MON_3, 9))

    [message] = mails("monthly_review")
    assert message.to == sorted([world.lead.email, second.email])
