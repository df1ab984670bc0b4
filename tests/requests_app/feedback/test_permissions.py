"""Who may see and do what in the feedback loop, as a matrix: persona × IT's page or object × action.

IT's dashboards, assessments and reviews are IT's business: anyone outside IT gets 404 (the page does
not exist for them), never 403. Inside IT, agents read; leads also act (follow-ups, assessments,
actions, the monthly review); an action's owner may mark it done. The company view is for leads of any
department and for superusers. Respondents answer an assessment but never see its results.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from departments.models import Profile, Role
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import Assessment, AssessmentAction, AssessmentStatus, FeedbackFollowUp

from ... import factories
from .desk import berlin, fresh, url

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NOW = berlin(date(2027, 3, 3), 10)
PERSONAS = ["requester", "colleague", "agent", "other_agent", "lead", "admin", "respondent", "second_agent"]


@pytest.fixture
def people(world) -> dict[str, Any]:
    """The conftest personas, plus a respondent (home: Sales) and a second IT agent who owns nothing."""
    sales = factories.make_department("Sales", "SA")
    respondent = factories.make_user("respondent")
    Profile.objects.create(user=respondent, department=sales)
    second_agent = factories.make_user("second_agent")
    factories.add_member(second_agent, world.it, Role.AGENT)
    everyone = {name: getattr(world, name) for name in PERSONAS[:6]}
    return {**everyone, "respondent": respondent, "second_agent": second_agent, "sales": sales}


@pytest.fixture
def it_objects(desk, world, people) -> dict[str, Any]:
    """An IT assessment Sales is invited to answer, an action owned by the agent, and a low-rating follow-up."""
    sr = desk.served(
        berlin(date(2027, 3, 1), 9), reply=berlin(date(2027, 3, 1), 10), resolve=berlin(date(2027, 3, 1), 11)
    )
    desk.rate(sr, berlin(date(2027, 3, 1), 12), 1)
    with desk.at(berlin(date(2027, 3, 1), 13)):
        assessment = feedback_services.assessment_start(
            department=world.it,
            by=world.lead,
            title="Spring 2027",
            closes_at=berlin(date(2027, 3, 31), 17),
            respondent_departments=[people["sales"]],
        )
        action = feedback_services.assessment_action_add(
            assessment=assessment,
            by=world.lead,
            description="Call back within the hour",
            owner=world.agent,
            due_on=date(2027, 3, 10),
        )
    return {
        "request": fresh(sr),
        "assessment": assessment,
        "action": action,
        "follow_up": FeedbackFollowUp.objects.get(),
    }


def status(desk: Any, user: Any, method: str, path: str, data: dict[str, Any] | None = None) -> int:
    if method == "get":
        return desk.get(user, path, NOW).status_code
    return desk.post(user, path, NOW, data).status_code


def matrix(expected: dict[str, int], default: int = 404) -> list[tuple[str, int]]:
    return [(persona, expected.get(persona, default)) for persona in PERSONAS]


# --- pages ---------------------------------------------------------------------------------------

PAGES: dict[str, tuple[Any, dict[str, int]]] = {
    "it-dashboard": (
        lambda w, o: url("department_dashboard", w.it.slug),
        {"agent": 200, "lead": 200, "second_agent": 200},
    ),
    "it-dashboard-csv": (
        lambda w, o: url("department_dashboard", w.it.slug) + "?format=csv",
        {"agent": 200, "lead": 200, "second_agent": 200},
    ),
    "hr-dashboard": (lambda w, o: url("department_dashboard", w.hr.slug), {"other_agent": 200}),
    "company": (lambda w, o: url("company"), {"lead": 200, "admin": 200}),
    "it-assessments": (
        lambda w, o: url("assessment_list", w.it.slug),
        {"agent": 200, "lead": 200, "second_agent": 200},
    ),
    "it-assessment-results": (
        lambda w, o: url("assessment_detail", o["assessment"].pk),
        {"agent": 200, "lead": 200, "second_agent": 200},
    ),
    "it-monthly-review": (lambda w, o: url("monthly_review", w.it.slug, "2027-02"), {"lead": 200}),
}
PAGE_CASES = [(page, persona, code) for page, (_, row) in PAGES.items() for persona, code in matrix(row)]


@pytest.mark.parametrize(("page", "persona", "expected"), PAGE_CASES, ids=[f"{p}-{u}" for p, u, _ in PAGE_CASES])
def test_who_may_see_each_page(desk, world, people, it_objects, page, persona, expected):
    path = PAGES[page][0](world, it_objects)

    assert status(desk, people[persona], "get", path) == expected


def test_the_company_view_is_open_to_leads_of_any_department(desk, world, people):
    hr_lead = factories.make_user("hr_lead")
    factories.add_member(hr_lead, world.hr, Role.LEAD)

    assert status(desk, hr_lead, "get", url("company")) == 200


def test_a_lead_of_another_department_cannot_see_it_s_dashboard(desk, world, people):
    hr_lead = factories.make_user("hr_lead")
    factories.add_member(hr_lead, world.hr, Role.LEAD)

    assert status(desk, hr_lead, "get", url("department_dashboard", world.it.slug)) == 404
    assert status(desk, hr_lead, "get", url("monthly_review", world.it.slug, "2027-02")) == 404


def test_the_respondent_may_answer_but_not_see_the_results(desk, world, people, it_objects):
    invitation = it_objects["assessment"].invitations.get(respondent=people["respondent"])

    assert status(desk, people["respondent"], "get", url("assessment_answer", invitation.token)) == 200
    assert status(desk, people["respondent"], "get", url("assessment_detail", it_objects["assessment"].pk)) == 404


# --- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "sees"), [("lead", True), ("agent", False), ("second_agent", False)])
def test_only_leads_see_follow_ups_on_the_dashboard(desk, world, people, it_objects, persona, sees):
    page = desk.get(people[persona], url("department_dashboard", world.it.slug), NOW).content.decode()

    assert ("Low ratings to follow up (1)" in page) is sees
    assert (f">{it_objects['request'].reference}</a> rated" in page) is sees


FOLLOW_UP_CLOSE = matrix({"lead": 302, "agent": 403, "second_agent": 403})


@pytest.mark.parametrize(("persona", "expected"), FOLLOW_UP_CLOSE, ids=[p for p, _ in FOLLOW_UP_CLOSE])
def test_only_leads_close_follow_ups(desk, world, people, it_objects, persona, expected):
    follow_up = it_objects["follow_up"]
    path = url("follow_up_close", world.it.slug, follow_up.pk)

    code = status(desk, people[persona], "post", path, {"action_taken": "Called them."})

    assert code == expected
    follow_up.refresh_from_db()
    assert follow_up.is_open is (expected != 302)


def test_a_follow_up_cannot_be_closed_through_another_departments_address(desk, world, people, it_objects):
    hr_lead = factories.make_user("hr_lead")
    factories.add_member(hr_lead, world.hr, Role.LEAD)
    follow_up = it_objects["follow_up"]

    code = status(desk, hr_lead, "post", url("follow_up_close", world.hr.slug, follow_up.pk), {"action_taken": "x"})

    assert code == 404
    follow_up.refresh_from_db()
    assert follow_up.is_open


# --- assessments and actions ---------------------------------------------------------------------

START = matrix({"lead": 302, "agent": 403, "second_agent": 403})


@pytest.mark.parametrize(("persona", "expected"), START, ids=[p for p, _ in START])
def test_only_leads_start_assessments(desk, world, people, it_objects, persona, expected):
    data = {
        "title": "Summer 2027",
        "closes_at": "2027-04-30T16:00",
        "respondent_departments": [people["sales"].pk],
        "respondents": "",
    }

    code = status(desk, people[persona], "post", url("assessment_list", world.it.slug), data)

    assert code == expected
    assert Assessment.objects.filter(title="Summer 2027").exists() is (expected == 302)


CLOSE = matrix({"lead": 302, "agent": 403, "second_agent": 403})


@pytest.mark.parametrize(("persona", "expected"), CLOSE, ids=[p for p, _ in CLOSE])
def test_only_leads_close_assessments(desk, world, people, it_objects, persona, expected):
    assessment = it_objects["assessment"]

    code = status(desk, people[persona], "post", url("assessment_close", assessment.pk))

    assert code == expected
    assessment.refresh_from_db()
    assert (assessment.status == AssessmentStatus.CLOSED) is (expected == 302)


ADD_ACTION = matrix({"lead": 302, "agent": 403, "second_agent": 403})


@pytest.mark.parametrize(("persona", "expected"), ADD_ACTION, ids=[p for p, _ in ADD_ACTION])
def test_only_leads_record_actions(desk, world, people, it_objects, persona, expected):
    data = {"description": "Publish a status page", "owner": world.agent.pk, "due_on": "2027-04-01"}

    code = status(desk, people[persona], "post", url("assessment_action_add", it_objects["assessment"].pk), data)

    assert code == expected
    assert AssessmentAction.objects.filter(description="Publish a status page").exists() is (expected == 302)


ACTION_DONE = matrix({"agent": 302, "lead": 302, "second_agent": 403})


@pytest.mark.parametrize(("persona", "expected"), ACTION_DONE, ids=[p for p, _ in ACTION_DONE])
def test_the_owner_or_a_lead_marks_an_action_done(desk, world, people, it_objects, persona, expected):
    action = it_objects["action"]

    code = status(desk, people[persona], "post", url("assessment_action_done", action.pk))

    assert code == expected
    action.refresh_from_db()
    assert (action.done_at is not None) is (expected == 302)


def test_the_done_button_is_shown_only_to_the_owner_and_leads(desk, world, people, it_objects):
    done = f'action="{url("assessment_action_done", it_objects["action"].pk)}"'
    detail = url("assessment_detail", it_objects["assessment"].pk)

    shown = {p: done in desk.get(people[p], detail, NOW).content.decode() for p in ("agent", "lead", "second_agent")}

    assert shown == {"agent": True, "lead": True, "second_agent": False}


def test_the_start_form_is_shown_only_to_leads(desk, world, people, it_objects):
    path = url("assessment_list", world.it.slug)

    shown = {p: 'id="start-assessment"' in desk.get(people[p], path, NOW).content.decode() for p in ("agent", "lead")}

    assert shown == {"agent": False, "lead": True}


def test_an_assessment_answer_link_is_only_for_its_respondent(desk, world, people, it_objects):
    invitation = it_objects["assessment"].invitations.get(respondent=people["respondent"])
    path = url("assessment_answer", invitation.token)

    codes = {p: status(desk, people[p], "get", path) for p in ("respondent", "lead", "agent", "requester", "admin")}

    assert codes == {"respondent": 200, "lead": 403, "agent": 403, "requester": 403, "admin": 403}


def test_nobody_signed_out_sees_any_of_it(world, it_objects):
    for path in [
        url("department_dashboard", world.it.slug),
        url("company"),
        url("assessment_detail", it_objects["assessment"].pk),
        url("monthly_review", world.it.slug, "2027-02"),
        url("thanks_board", world.it.slug),
    ]:
        assert Client().get(path).status_code == 302, path


def test_the_monthly_review_of_an_unknown_month_is_not_found(desk, world, people):
    assert status(desk, world.lead, "get", url("monthly_review", world.it.slug, "2027-13")) == 404
