"""Triage: bulk changes, assignment rules, transfers and the handoff ledger, watchers, canned responses,
availability, claiming and assigning from a queue row, and personal API tokens on the profile page."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from departments.models import AssignmentRule, CannedResponse, Membership, Role
from requests_app import selectors, services
from requests_app.models import (
    ApiToken,
    Comment,
    EventKind,
    Handoff,
    RequestEvent,
    ServiceRequest,
    Status,
    Watcher,
)

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(day: int = 0, hour: int = 9, minute: int = 0) -> datetime:
    """``day`` days after Monday 2 March 2026 at ``hour``:``minute`` UTC."""
    return MONDAY_9.replace(hour=hour, minute=minute) + timedelta(days=day)


def new_request(world: Any, title: str = "Please help", **extra: Any) -> ServiceRequest:
    return factories.make_request(extra.pop("service", world.laptop), extra.pop("requester", world.requester), title)


def reload(sr: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_related("assignee", "service", "department").get(pk=sr.pk)


def history(sr: ServiceRequest) -> list[tuple[str, Any, str, str]]:
    return [
        (e.kind, e.actor_id, e.from_value, e.to_value)
        for e in RequestEvent.objects.filter(request=sr).exclude(kind=EventKind.FILED).order_by("id")
    ]


# --- bulk changes ----------------------------------------------------------------------------------


def bulk(client: Any, references: list[str], *, back: str = "", **data: Any) -> tuple[Any, str]:
    """POST a bulk change from the IT queue; the response after the redirect and its page text."""
    response = client.post(
        reverse("requests_app:queue_bulk", args=["it"]), {"selected": references, "back": back, **data}, follow=True
    )
    return response, response.content.decode()


def test_a_lead_assigns_the_selected_requests_in_bulk(world, client_for):
    first, second = new_request(world, "first"), new_request(world, "second")

    response, page = bulk(
        client_for(world.lead), [first.reference, second.reference], action="assign", assignee=world.agent.pk
    )

    assert response.status_code == 200
    assert f"Changed 2: {first.reference}, {second.reference}." in page
    for sr in (first, second):
        assert (reload(sr).assignee, reload(sr).status) == (world.agent, Status.OPEN)


def test_a_bulk_assignment_writes_the_same_history_as_one_at_a_time(world, client_for):
    by_hand, in_bulk = new_request(world, "by hand"), new_request(world, "in bulk")
    services.request_assign(service_request=by_hand, assignee=world.agent, by=world.lead)

    bulk(client_for(world.lead), [in_bulk.reference], action="assign", assignee=world.agent.pk)

    assert history(in_bulk) == history(by_hand)
    assert history(in_bulk) == [
        (EventKind.ASSIGNED, world.lead.pk, "unassigned", "Agent Tester"),
        (EventKind.STATUS, world.lead.pk, Status.NEW, Status.OPEN),
    ]


def test_an_agent_assigning_others_in_bulk_is_refused_for_each_row(world, client_for):
    first, second = new_request(world, "first"), new_request(world, "second")

    _, page = bulk(
        client_for(world.agent), [first.reference, second.reference], action="assign", assignee=world.lead.pk
    )

    for sr in (first, second):
        assert f"{sr.reference} was not changed: Only a lead of this department can assign requests to others." in page
        assert reload(sr).assignee is None
        assert history(sr) == []
    assert "Changed" not in page


def test_an_agent_takes_the_selected_requests_in_bulk(world, client_for):
    free = new_request(world, "free")
    theirs = new_request(world, "already theirs")
    services.request_claim(service_request=theirs, by=world.agent)

    _, page = bulk(
        client_for(world.agent), [free.reference, theirs.reference], action="assign", assignee=world.agent.pk
    )

    assert f"Changed 1: {free.reference}." in page
    assert f"Already so, left as they were: {theirs.reference}." in page
    assert reload(free).assignee == world.agent


def test_a_bulk_status_change_goes_through_where_allowed_and_reports_the_rest(world, client_for):
    fresh = new_request(world, "new")
    opened = new_request(world, "open")
    services.request_claim(service_request=opened, by=world.agent)
    resolved = new_request(world, "resolved")
    services.request_resolve(service_request=resolved, by=world.agent, resolution_note="Done")
    elsewhere = factories.make_request(world.certificate, world.requester, "HR's", purpose="Bank")
    selected = [fresh.reference, opened.reference, resolved.reference, elsewhere.reference, "IT-999999"]

    _, page = bulk(client_for(world.agent), selected, action="status", status="waiting")

    assert f"Changed 2: {fresh.reference}, {opened.reference}." in page
    assert f"{resolved.reference} was not changed: A request that is resolved cannot become waiting on requester." in (
        page
    )
    assert f"{elsewhere.reference} was not changed: Not found in this queue." in page
    assert "IT-999999 was not changed: Not found in this queue." in page
    assert [reload(sr).status for sr in (fresh, opened, resolved, elsewhere)] == [
        Status.WAITING,
        Status.WAITING,
        Status.RESOLVED,
        Status.NEW,
    ]
    assert history(fresh) == [(EventKind.STATUS, world.agent.pk, Status.NEW, Status.WAITING)]
    assert not RequestEvent.objects.filter(request=resolved, kind=EventKind.STATUS).exists()
    assert history(elsewhere) == []


def test_a_bulk_status_change_pauses_the_clocks_like_one_at_a_time(world, client_for):
    with time_machine.travel(at(), tick=False):
        by_hand, in_bulk = new_request(world, "by hand"), new_request(world, "in bulk")
    with time_machine.travel(at(hour=10), tick=False):
        services.request_change_status(service_request=by_hand, to_status=Status.WAITING, by=world.agent)
        bulk(client_for(world.agent), [in_bulk.reference], action="status", status="waiting")

    by_hand, in_bulk = reload(by_hand), reload(in_bulk)
    assert in_bulk.waiting_since == by_hand.waiting_since == at(hour=10)
    assert (in_bulk.resolution_due_at, in_bulk.resolution_used_seconds) == (None, by_hand.resolution_used_seconds)
    assert history(in_bulk) == history(by_hand)


def test_a_bulk_priority_change_moves_the_due_times_like_one_at_a_time(world, client_for):
    with time_machine.travel(at(), tick=False):
        by_hand, in_bulk = new_request(world, "by hand"), new_request(world, "in bulk")
    with time_machine.travel(at(hour=10), tick=False):
        services.request_change_priority(service_request=by_hand, priority="critical", by=world.agent)
        _, page = bulk(client_for(world.agent), [in_bulk.reference], action="priority", priority="critical")

    assert f"Changed 1: {in_bulk.reference}." in page
    by_hand, in_bulk = reload(by_hand), reload(in_bulk)
    assert in_bulk.priority == "critical"
    assert in_bulk.first_response_due_at == by_hand.first_response_due_at
    assert in_bulk.first_response_due_at < at(hour=11)  # 30 minutes, less the hour already used
    assert history(in_bulk) == history(by_hand) == [(EventKind.PRIORITY, world.agent.pk, "normal", "critical")]


def test_a_bulk_resolution_needs_a_note(world, client_for):
    sr = new_request(world)

    _, page = bulk(client_for(world.agent), [sr.reference], action="status", status="resolved")

    assert "Resolving needs a note; the requesters read it." in page
    assert reload(sr).status == Status.NEW


def test_a_bulk_resolution_tells_each_requester(world, client_for, django_capture_on_commit_callbacks):
    other_requester = factories.make_user("other_requester")
    first = new_request(world, "first")
    second = new_request(world, "second", requester=other_requester)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        bulk(
            client_for(world.agent),
            [first.reference, second.reference],
            action="status",
            status="resolved",
            note="Replaced.",
        )

    assert reload(first).resolution_note == reload(second).resolution_note == "Replaced."
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "other_requester@example.com",
        "requester@example.com",
    ]


def test_bulk_changes_need_a_selection(world, client_for):
    _, page = bulk(client_for(world.agent), [], action="priority", priority="high")

    assert "Select at least one request." in page


def test_bulk_changes_return_to_the_same_filtered_queue(world, client_for):
    sr = new_request(world)

    response, _ = bulk(
        client_for(world.agent), [sr.reference], back="assignee=unassigned&sort=age", action="priority", priority="high"
    )

    assert response.redirect_chain == [("/queues/it/?assignee=unassigned&sort=age", 302)]


def test_nobody_outside_the_department_can_post_bulk_changes_to_its_queue(world, client_for):
    sr = new_request(world)

    for person in (world.other_agent, world.requester):
        response = client_for(person).post(
            reverse("requests_app:queue_bulk", args=["it"]),
            {"selected": [sr.reference], "action": "priority", "priority": "critical"},
        )
        assert response.status_code == 404
    assert reload(sr).priority == "normal"


# --- assignment rules ------------------------------------------------------------------------------


def make_desk(world: Any, agents: int, rule: str = AssignmentRule.ROUND_ROBIN) -> tuple[Any, Any, list[Any]]:
    """A department of ``agents`` agents (memberships in that order) with the given assignment rule."""
    desk = factories.make_department(
        "Service desk", "SD", default_sla_policy=world.it.default_sla_policy, assignment_rule=rule
    )
    service = factories.make_service(desk, "Password reset")
    people = []
    for n in range(agents):
        person = factories.make_user(f"desk{n}")
        factories.add_member(person, desk, Role.AGENT)
        people.append(person)
    return desk, service, people


def file_many(service: Any, world: Any, count: int) -> list[ServiceRequest]:
    return [factories.make_request(service, world.requester, f"request {n}") for n in range(count)]


def away(person: Any, department: Any) -> None:
    membership = Membership.objects.get(user=person, department=department)
    services.membership_set_available(membership=membership, available=False, by=person)


def back(person: Any, department: Any) -> None:
    membership = Membership.objects.get(user=person, department=department)
    services.membership_set_available(membership=membership, available=True, by=person)


def assignees(requests: list[ServiceRequest]) -> list[str]:
    return [reload(sr).assignee.username for sr in requests]


@pytest.mark.parametrize(("requests", "agents"), [(10, 3), (7, 4), (3, 5), (12, 4), (1, 2)])
def test_round_robin_spreads_requests_evenly_over_the_available_agents(world, requests, agents):
    _desk, service, people = make_desk(world, agents)

    filed = file_many(service, world, requests)

    counts = [assignees(filed).count(person.username) for person in people]
    assert sum(counts) == requests
    assert max(counts) - min(counts) <= 1


def test_round_robin_takes_turns_in_order(world):
    _desk, service, _people = make_desk(world, 3)

    filed = file_many(service, world, 6)

    assert assignees(filed) == ["desk0", "desk1", "desk2", "desk0", "desk1", "desk2"]


def test_round_robin_skips_agents_marked_away(world):
    desk, service, people = make_desk(world, 3)
    away(people[1], desk)

    filed = file_many(service, world, 4)

    assert assignees(filed) == ["desk0", "desk2", "desk0", "desk2"]


def test_round_robin_skips_deactivated_accounts(world):
    _desk, service, people = make_desk(world, 2)
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])

    filed = file_many(service, world, 2)

    assert assignees(filed) == ["desk1", "desk1"]


def test_an_agent_coming_back_joins_the_back_of_the_line(world):
    desk, service, people = make_desk(world, 3)
    away(people[0], desk)
    assert assignees(file_many(service, world, 2)) == ["desk1", "desk2"]

    back(people[0], desk)

    # desk1 and desk2 were in line before desk0 came back: they go first.
    assert assignees(file_many(service, world, 3)) == ["desk1", "desk2", "desk0"]


def test_an_agent_back_after_a_long_absence_is_not_repaid_with_consecutive_requests(world):
    desk, service, people = make_desk(world, 3)
    away(people[0], desk)
    file_many(service, world, 8)
    back(people[0], desk)

    assert assignees(file_many(service, world, 6)) == ["desk1", "desk2", "desk0", "desk1", "desk2", "desk0"]


def test_round_robin_opens_the_request_and_names_the_rule_in_the_history(world):
    _desk, service, _people = make_desk(world, 1)

    sr = factories.make_request(service, world.requester)

    assert reload(sr).status == Status.OPEN
    assert history(sr) == [
        (EventKind.ASSIGNED, None, "unassigned", "Desk0 Tester (round robin)"),
        (EventKind.STATUS, None, Status.NEW, Status.OPEN),
    ]


def test_round_robin_with_nobody_available_leaves_the_request_new_and_unassigned(world):
    desk, service, people = make_desk(world, 1)
    away(people[0], desk)

    sr = factories.make_request(service, world.requester)

    assert (reload(sr).status, reload(sr).assignee) == (Status.NEW, None)


def test_the_assignment_rule_is_applied_in_the_filing_transaction(world, django_capture_on_commit_callbacks):
    _desk, service, people = make_desk(world, 1)

    with django_capture_on_commit_callbacks(execute=False):
        sr = factories.make_request(service, world.requester)
        assert reload(sr).assignee == people[0]  # before anything runs after the commit


def test_a_failed_filing_leaves_the_round_robin_turns_as_they_were(world, monkeypatch):
    _desk, service, _people = make_desk(world, 2)
    file_many(service, world, 1)  # desk0 has had a turn

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr("requests_app.services.notifications.notification_create", broken)
    with pytest.raises(RuntimeError):
        factories.make_request(service, world.requester)
    monkeypatch.undo()

    assert ServiceRequest.objects.filter(service=service).count() == 1
    assert assignees(file_many(service, world, 1)) == ["desk1"]


def test_by_service_gives_new_requests_to_the_services_default_assignee(world):
    _desk, service, people = make_desk(world, 2, rule=AssignmentRule.BY_SERVICE)
    service.default_assignee = people[1]
    service.save(update_fields=["default_assignee"])

    filed = file_many(service, world, 3)

    assert assignees(filed) == ["desk1", "desk1", "desk1"]
    assert history(filed[0])[0] == (EventKind.ASSIGNED, None, "unassigned", "Desk1 Tester (by service)")
    assert reload(filed[0]).status == Status.OPEN


def test_by_service_without_a_default_assignee_leaves_requests_unassigned(world):
    _desk, service, _people = make_desk(world, 2, rule=AssignmentRule.BY_SERVICE)

    sr = factories.make_request(service, world.requester)

    assert (reload(sr).assignee, reload(sr).status) == (None, Status.NEW)


def test_by_service_skips_a_default_assignee_who_left_the_department(world):
    desk, service, people = make_desk(world, 2, rule=AssignmentRule.BY_SERVICE)
    service.default_assignee = people[0]
    service.save(update_fields=["default_assignee"])
    Membership.objects.filter(user=people[0], department=desk).delete()

    sr = factories.make_request(service, world.requester)

    assert reload(sr).assignee is None


def test_manual_assignment_leaves_new_requests_unassigned(world):
    assert world.it.assignment_rule == AssignmentRule.MANUAL

    sr = new_request(world)

    assert (reload(sr).assignee, reload(sr).status) == (None, Status.NEW)
    assert history(sr) == []


# --- availability ----------------------------------------------------------------------------------


def availability(client: Any, available: str) -> Any:
    return client.post(reverse("requests_app:availability", args=["it"]), {"available": available}, follow=True)


def test_an_agent_marks_themselves_away_and_back_on_the_queue_page(world, client_for):
    client = client_for(world.agent)

    page = availability(client, "0").content.decode()
    assert Membership.objects.get(user=world.agent, department=world.it).is_available is False
    assert '<strong id="availability">away</strong>' in page
    assert "round robin skips you" in page

    page = availability(client, "1").content.decode()
    assert Membership.objects.get(user=world.agent, department=world.it).is_available is True
    assert '<strong id="availability">available</strong>' in page


def test_marking_oneself_away_leaves_other_members_as_they_are(world, client_for):
    availability(client_for(world.agent), "0")

    assert Membership.objects.get(user=world.lead, department=world.it).is_available is True


def test_nobody_outside_the_department_can_mark_themselves_available_there(world, client_for):
    for person in (world.other_agent, world.requester):
        assert availability(client_for(person), "0").status_code == 404


def test_a_lead_can_mark_a_member_away(world):
    membership = Membership.objects.get(user=world.agent, department=world.it)

    services.membership_set_available(membership=membership, available=False, by=world.lead)

    assert Membership.objects.get(pk=membership.pk).is_available is False


def test_an_agent_cannot_mark_another_member_away(world):
    membership = Membership.objects.get(user=world.lead, department=world.it)

    with pytest.raises(PermissionDenied):
        services.membership_set_available(membership=membership, available=False, by=world.agent)
    assert Membership.objects.get(pk=membership.pk).is_available is True


# --- transfers -------------------------------------------------------------------------------------


@pytest.fixture
def offices(world: Any) -> None:
    """IT and HR both work Monday to Friday 09:00-17:00 UTC; HR promises a first response within the hour."""
    for department in (world.it, world.hr):
        department.calendar = factories.make_calendar(f"{department.name} office", time_zone="UTC", hours=(9, 17))
        department.save(update_fields=["calendar"])
    world.hr.default_sla_policy = factories.make_policy("HR fast", normal=(60, 480))
    world.hr.save(update_fields=["default_sla_policy"])


@pytest.fixture
def transferred(world: Any, offices: Any) -> ServiceRequest:
    """Filed in IT on Monday 09:00, answered and noted, then moved to HR at 11:00."""
    with time_machine.travel(at(), tick=False):
        sr = factories.make_request(world.laptop, world.requester, "Payslip on my laptop")
    with time_machine.travel(at(hour=9, minute=30), tick=False):
        services.request_claim(service_request=sr, by=world.agent)
        services.comment_add(service_request=sr, author=world.agent, body="Looking into it.")
        services.comment_add(service_request=sr, author=world.agent, body="Looks like payroll.", internal=True)
    with time_machine.travel(at(hour=11), tick=False):
        services.request_transfer(
            service_request=sr, to_service=world.certificate, by=world.agent, reason="A payroll question"
        )
    return reload(sr)


def transfer(client: Any, sr: ServiceRequest, **data: Any) -> Any:
    return client.post(reverse("requests_app:request_transfer", args=[sr.reference]), data)


def test_a_transfer_keeps_the_reference_the_conversation_and_the_history(world, transferred):
    sr = transferred

    assert sr.reference == "IT-1001"
    assert (sr.department, sr.service) == (world.hr, world.certificate)
    assert list(Comment.objects.filter(request=sr).values_list("body", flat=True)) == [
        "Looking into it.",
        "Looks like payroll.",
    ]
    kinds = list(RequestEvent.objects.filter(request=sr).order_by("id").values_list("kind", flat=True))
    assert kinds[:5] == [EventKind.FILED, EventKind.ASSIGNED, EventKind.STATUS, EventKind.REPLY, EventKind.NOTE]
    assert history(sr)[-2:] == [
        (EventKind.TRANSFERRED, world.agent.pk, "IT: Laptop replacement", "HR: Employment certificate"),
        (EventKind.STATUS, world.agent.pk, Status.OPEN, Status.NEW),
    ]


def test_a_transferred_request_is_new_and_unassigned_in_the_receiving_queue(world, transferred, client_for):
    assert (transferred.status, transferred.assignee) == (Status.NEW, None)

    page = client_for(world.other_agent).get(reverse("requests_app:queue", args=["hr"])).content.decode()

    assert f">{transferred.reference}<" in page


def test_the_receiving_departments_sla_applies_from_the_transfer(world, transferred):
    sr = transferred

    assert sr.first_responded_at is None  # the new holder owes a first response
    assert sr.first_response_due_at == at(hour=12)  # HR: 60 business minutes from 11:00
    assert sr.resolution_due_at == at(day=1, hour=11)  # 8 business hours: 11-17 on Monday, 9-11 on Tuesday
    assert sr.next_due_at == at(hour=12)


def test_the_ledger_shows_each_departments_stretch_with_its_times(world, transferred):
    ledger = selectors.handoff_ledger(transferred, now=at(hour=14))

    assert [
        (s.handoff.department.name, s.handoff.started_at, s.handoff.ended_at, s.held, s.handoff.reason) for s in ledger
    ] == [
        ("IT", at(), at(hour=11), timedelta(hours=2), ""),
        ("HR", at(hour=11), None, timedelta(hours=3), "A payroll question"),
    ]
    assert ledger[1].handoff.by == world.agent


def test_the_request_page_shows_the_ledger_to_the_department(world, transferred, client_for):
    with time_machine.travel(at(hour=14), tick=False):
        page = client_for(world.other_agent).get(transferred.get_absolute_url()).content.decode()

    ledger = page.split('id="handoffs"')[1].split("</ol>")[0]
    assert re.search(r"<strong>IT</strong> \(Laptop replacement\) · 2h<br>", ledger)
    assert re.search(r"<strong>HR</strong> \(Employment certificate\) · 3h so far<br>", ledger)
    assert "Why: A payroll question (Agent Tester)" in ledger


def test_the_requester_still_follows_a_transferred_request_but_not_its_ledger(world, transferred, client_for):
    response = client_for(world.requester).get(transferred.get_absolute_url())

    assert response.status_code == 200
    assert 'id="handoffs"' not in response.content.decode()


def test_time_held_is_summed_per_department(world, offices):
    with time_machine.travel(at(), tick=False):
        travelling = factories.make_request(world.laptop, world.requester, "travels")
    with time_machine.travel(at(hour=10), tick=False):
        factories.make_request(world.certificate, world.requester, "stays in HR", purpose="Bank")
    with time_machine.travel(at(hour=12), tick=False):
        services.request_transfer(service_request=travelling, to_service=world.certificate, by=world.agent, reason="HR")
    with time_machine.travel(at(hour=15), tick=False):
        services.request_transfer(
            service_request=reload(travelling), to_service=world.laptop, by=world.other_agent, reason="IT after all"
        )

    held = selectors.time_held_by_department(since=at(hour=0), until=at(hour=17))

    assert held == {
        world.it.pk: timedelta(hours=3 + 2),  # 09-12 and 15-17
        world.hr.pk: timedelta(hours=3 + 7),  # 12-15 for the traveller, 10-17 for the other
    }


def test_time_held_counts_only_the_window_asked_for(world, offices):
    with time_machine.travel(at(), tick=False):
        travelling = factories.make_request(world.laptop, world.requester, "travels")
    with time_machine.travel(at(hour=10), tick=False):
        factories.make_request(world.certificate, world.requester, "stays in HR", purpose="Bank")
    with time_machine.travel(at(hour=12), tick=False):
        services.request_transfer(service_request=travelling, to_service=world.certificate, by=world.agent, reason="HR")

    held = selectors.time_held_by_department(since=at(hour=11), until=at(hour=13))
    it_only = selectors.time_held_by_department(since=at(hour=11), until=at(hour=13), department_ids=[world.it.pk])

    assert held == {world.it.pk: timedelta(hours=1), world.hr.pk: timedelta(hours=1 + 2)}
    assert it_only == {world.it.pk: timedelta(hours=1)}


def test_an_agent_transfers_on_the_transfer_page_and_returns_to_their_queue(world, client_for, offices):
    sr = new_request(world)
    client = client_for(world.agent)
    assert (
        "HR: Employment certificate"
        in client.get(reverse("requests_app:request_transfer", args=[sr.reference])).content.decode()
    )

    response = transfer(client, sr, to_service=world.certificate.pk, reason="Belongs to HR")

    assert response.status_code == 302
    assert response["Location"] == "/queues/it/"
    assert reload(sr).department == world.hr


def test_the_old_departments_agent_no_longer_sees_a_transferred_request(world, transferred, client_for):
    assert client_for(world.agent).get(transferred.get_absolute_url()).status_code == 404
    page = client_for(world.agent).get(reverse("requests_app:queue", args=["it"]), {"status": "all"}).content.decode()
    assert f">{transferred.reference}<" not in page


def test_the_receiving_department_is_told_by_email(world, client_for, submit):
    sr = new_request(world)
    mail.outbox.clear()

    submit(
        client_for(world.agent),
        reverse("requests_app:request_transfer", args=[sr.reference]),
        {"to_service": world.certificate.pk, "reason": "Belongs to HR"},
    )

    assert [m.to for m in mail.outbox] == [["hragent@example.com"]]
    assert "Belongs to HR" in mail.outbox[0].body


def test_a_transfer_into_a_round_robin_department_assigns_there(world):
    _desk, service, people = make_desk(world, 1)
    sr = new_request(world)

    services.request_transfer(service_request=sr, to_service=service, by=world.agent, reason="Password issue")

    assert (reload(sr).assignee, reload(sr).status) == (people[0], Status.OPEN)


def test_a_transfer_needs_a_reason(world, client_for):
    sr = new_request(world)

    response = transfer(client_for(world.agent), sr, to_service=world.certificate.pk, reason="   ")

    assert response.status_code == 400
    assert reload(sr).department == world.it
    assert Handoff.objects.filter(request=sr).count() == 1


def test_the_transfer_service_refuses_a_blank_reason(world):
    sr = new_request(world)

    with pytest.raises(ValidationError):
        services.request_transfer(service_request=sr, to_service=world.certificate, by=world.agent, reason=" ")


@pytest.mark.parametrize("final", [Status.CLOSED, Status.CANCELLED, Status.RESOLVED])
def test_a_request_no_longer_worked_on_cannot_be_transferred(world, client_for, final):
    sr = new_request(world)
    if final == Status.CANCELLED:
        services.request_cancel(service_request=sr, by=world.requester)
    else:
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Done")
        if final == Status.CLOSED:
            services.request_change_status(service_request=sr, to_status=Status.CLOSED, by=world.agent)

    response = transfer(client_for(world.agent), sr, to_service=world.certificate.pk, reason="Too late")

    assert response.status_code == 409
    assert "Only requests that are still being worked on can be transferred." in response.content.decode()
    assert (reload(sr).department, reload(sr).status) == (world.it, final)


@pytest.mark.parametrize("persona", ["requester", "colleague", "other_agent"])
def test_only_the_department_can_transfer(world, client_for, persona):
    sr = new_request(world)

    response = transfer(client_for(getattr(world, persona)), sr, to_service=world.certificate.pk, reason="Mine now")

    assert response.status_code == (403 if persona == "requester" else 404)
    assert reload(sr).department == world.it


# --- watchers --------------------------------------------------------------------------------------


def add_watcher(client: Any, sr: ServiceRequest, person: str) -> Any:
    return client.post(reverse("requests_app:request_watcher_add", args=[sr.reference]), {"person": person})


@pytest.fixture
def watched(world: Any) -> ServiceRequest:
    """A request the requester asked their colleague to follow, with a public reply and an internal note."""
    sr = new_request(world, "Broken screen")
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)
    services.comment_add(service_request=sr, author=world.agent, body="A new screen is ordered.")
    services.comment_add(service_request=sr, author=world.agent, body="Charge it to cost centre 42.", internal=True)
    return sr


def test_the_requester_adds_a_colleague_as_a_watcher(world, client_for):
    sr = new_request(world)

    response = add_watcher(client_for(world.requester), sr, "colleague")

    assert response.status_code == 302
    assert Watcher.objects.get(request=sr).user == world.colleague
    assert history(sr) == [(EventKind.WATCHER_ADDED, world.requester.pk, "", "Colleague Tester")]
    page = client_for(world.requester).get(sr.get_absolute_url()).content.decode()
    assert "Colleague Tester" in page.split('id="watchers"')[1]


def test_a_watcher_can_be_named_by_email_address(world, client_for):
    sr = new_request(world)

    add_watcher(client_for(world.requester), sr, "COLLEAGUE@example.com")

    assert Watcher.objects.get(request=sr).user == world.colleague


def test_adding_an_unknown_person_as_watcher_is_refused(world, client_for):
    sr = new_request(world)

    response = add_watcher(client_for(world.requester), sr, "nobody-here")

    assert response.status_code == 400
    assert "Nobody active is called" in response.content.decode()
    assert not Watcher.objects.exists()


def test_the_same_colleague_cannot_be_added_twice(world, client_for, watched):
    response = add_watcher(client_for(world.requester), watched, "colleague")

    assert response.status_code == 400
    assert Watcher.objects.filter(request=watched).count() == 1


def test_the_requester_cannot_watch_their_own_request(world, client_for):
    sr = new_request(world)

    response = add_watcher(client_for(world.requester), sr, "requester")

    assert response.status_code == 400
    assert not Watcher.objects.exists()


def test_a_watcher_sees_the_public_conversation_and_status_but_not_internal_notes(world, client_for, watched):
    services.request_change_status(service_request=watched, to_status=Status.WAITING, by=world.agent)

    response = client_for(world.colleague).get(watched.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "A new screen is ordered." in page
    assert "cost centre 42" not in page
    assert "Internal note" not in page
    assert 'id="request-status">Waiting on requester<' in page
    assert 'id="handoffs"' not in page


def test_a_watcher_cannot_reply(world, client_for, watched):
    client = client_for(world.colleague)
    assert 'id="reply-form"' not in client.get(watched.get_absolute_url()).content.decode()

    response = client.post(reverse("requests_app:request_reply", args=[watched.reference]), {"body": "Me too!"})

    assert response.status_code == 403
    assert not Comment.objects.filter(author=world.colleague).exists()


def test_a_watcher_cannot_add_other_watchers(world, client_for, watched):
    stranger = factories.make_user("stranger")

    response = add_watcher(client_for(world.colleague), watched, "stranger")

    assert response.status_code == 403
    assert not Watcher.objects.filter(user=stranger).exists()


@pytest.mark.parametrize("persona", ["colleague", "other_agent"])
def test_people_who_do_not_see_the_request_cannot_add_watchers(world, client_for, persona):
    sr = new_request(world)

    response = add_watcher(client_for(getattr(world, persona)), sr, "colleague")

    assert response.status_code == 404
    assert not Watcher.objects.exists()


def test_an_agent_of_the_department_can_add_a_watcher(world, client_for):
    sr = new_request(world)

    add_watcher(client_for(world.agent), sr, "colleague")

    assert Watcher.objects.get(request=sr).added_by == world.agent


def test_a_watcher_gets_the_departments_replies_and_the_resolution_by_email(world, client_for, submit, watched):
    mail.outbox.clear()
    agent = client_for(world.agent)

    submit(agent, reverse("requests_app:request_reply", args=[watched.reference]), {"body": "Arrives Tuesday."})
    submit(
        agent,
        reverse("requests_app:request_reply", args=[watched.reference]),
        {"body": "Supplier is slow.", "internal": "on"},
    )
    submit(agent, reverse("requests_app:request_resolve", args=[watched.reference]), {"resolution_note": "Replaced."})

    to_colleague = [m for m in mail.outbox if "colleague@example.com" in m.to]
    assert len(to_colleague) == 2
    assert "Arrives Tuesday." in to_colleague[0].body
    assert "Replaced." in to_colleague[1].body
    assert all("Supplier is slow." not in m.body for m in mail.outbox)
    assert all("requester@example.com" in m.to for m in to_colleague)


def test_a_watcher_is_not_emailed_the_requesters_own_messages(world, client_for, submit, watched):
    mail.outbox.clear()

    submit(client_for(world.requester), reverse("requests_app:request_reply", args=[watched.reference]), {"body": "Hi"})

    assert mail.outbox
    assert all("colleague@example.com" not in m.to for m in mail.outbox)


def test_a_watcher_finds_the_request_under_following_in_my_requests(world, client_for, watched):
    page = client_for(world.colleague).get(reverse("requests_app:my_requests")).content.decode()

    assert f">{watched.reference}<" in page.split('id="watching"')[1]


def test_a_watcher_can_stop_following(world, client_for, watched):
    client = client_for(world.colleague)

    response = client.post(reverse("requests_app:request_watcher_remove", args=[watched.reference, world.colleague.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:my_requests")
    assert not Watcher.objects.exists()
    assert client.get(watched.get_absolute_url()).status_code == 404
    assert history(watched)[-1] == (EventKind.WATCHER_REMOVED, world.colleague.pk, "Colleague Tester", "")


def test_the_requester_can_remove_a_watcher(world, client_for, watched):
    response = client_for(world.requester).post(
        reverse("requests_app:request_watcher_remove", args=[watched.reference, world.colleague.pk])
    )

    assert response.status_code == 302
    assert not Watcher.objects.exists()


def test_a_watcher_cannot_remove_another_watcher(world, client_for, watched):
    second = factories.make_user("second")
    services.watcher_add(service_request=watched, user=second, by=world.requester)

    response = client_for(world.colleague).post(
        reverse("requests_app:request_watcher_remove", args=[watched.reference, second.pk])
    )

    assert response.status_code == 403
    assert Watcher.objects.filter(user=second).exists()


# --- canned responses ------------------------------------------------------------------------------

EVERY_PLACEHOLDER = (
    "Hi {{ requester_first_name }} ({{requester_name}}), about {{ reference }} “{{ title }}” "
    "({{ service }}, {{ department }}). {{ agent_first_name }} / {{  agent_name  }}"
)


@pytest.fixture
def canned(world: Any) -> CannedResponse:
    return CannedResponse.objects.create(department=world.it, title="Greeting", body=EVERY_PLACEHOLDER)


def canned_text(client: Any, sr: ServiceRequest, canned: CannedResponse) -> Any:
    return client.get(reverse("requests_app:canned_response_text", args=[sr.reference, canned.pk]))


def test_a_canned_response_is_filled_in_for_the_request_and_the_agent(world, client_for, canned):
    sr = new_request(world, "Screen flickers")

    response = canned_text(client_for(world.agent), sr, canned)

    assert response.status_code == 200
    assert response.json() == {
        "title": "Greeting",
        "body": f"Hi Requester (Requester Tester), about {sr.reference} “Screen flickers” "
        "(Laptop replacement, IT). Agent / Agent Tester",
    }


def test_a_canned_response_names_whichever_agent_inserts_it(world, client_for, canned):
    sr = new_request(world)

    body = canned_text(client_for(world.lead), sr, canned).json()["body"]

    assert body.endswith("Lead / Lead Tester")


def test_a_requester_without_a_first_name_is_greeted_by_user_name(world, client_for, canned):
    nameless = factories.make_user("jdoe", first_name="", last_name="")
    sr = new_request(world, requester=nameless)

    body = canned_text(client_for(world.agent), sr, canned).json()["body"]

    assert body.startswith("Hi jdoe (jdoe),")


def test_placeholders_inside_the_requests_own_text_are_not_filled_in(world, client_for, canned):
    sr = new_request(world, "{{ agent_name }} please")

    body = canned_text(client_for(world.agent), sr, canned).json()["body"]

    assert "“{{ agent_name }} please”" in body


def test_an_unknown_placeholder_is_refused_by_validation(world):
    response = CannedResponse(department=world.it, title="Leaky", body="Your password is {{ secret_key }}.")

    with pytest.raises(ValidationError) as refused:
        response.full_clean()

    assert "Unknown placeholder secret_key" in str(refused.value.message_dict["body"])


def test_admin_refuses_a_canned_response_with_an_unknown_placeholder(world, client_for):
    response = client_for(world.admin).post(
        reverse("admin:departments_cannedresponse_add"),
        {"department": world.it.pk, "title": "Leaky", "body": "Hello {{ user.password }} and {{ settings }}"},
    )

    assert response.status_code == 200
    assert "Unknown placeholder settings" in response.content.decode()
    assert not CannedResponse.objects.exists()


def test_admin_accepts_a_canned_response_with_known_placeholders(world, client_for):
    response = client_for(world.admin).post(
        reverse("admin:departments_cannedresponse_add"),
        {"department": world.it.pk, "title": "Greeting", "body": EVERY_PLACEHOLDER},
    )

    assert response.status_code == 302
    assert CannedResponse.objects.get().body == EVERY_PLACEHOLDER


@pytest.mark.parametrize("persona", ["requester", "colleague", "other_agent"])
def test_canned_responses_are_only_for_agents_of_the_department(world, client_for, canned, persona):
    sr = new_request(world)
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)

    response = canned_text(client_for(getattr(world, persona)), sr, canned)

    assert response.status_code == 404


def test_another_departments_canned_response_is_not_found(world, client_for):
    hr_only = CannedResponse.objects.create(department=world.hr, title="HR", body="Hello {{ requester_first_name }}")
    sr = new_request(world)

    assert canned_text(client_for(world.agent), sr, hr_only).status_code == 404


def test_the_department_gets_a_picker_of_its_canned_responses(world, client_for, canned):
    CannedResponse.objects.create(department=world.hr, title="HR greeting", body="Hello")
    sr = new_request(world)
    client = client_for(world.agent)

    page = client.get(sr.get_absolute_url()).content.decode()
    picker = client.get(reverse("requests_app:canned_response_list", args=[sr.reference]))

    assert f'hx-get="{reverse("requests_app:canned_response_list", args=[sr.reference])}"' in page
    url = reverse("requests_app:canned_response_text", args=[sr.reference, canned.pk])
    assert picker.status_code == 200
    assert f'<option value="{url}">Greeting</option>' in picker.content.decode()
    assert "HR greeting" not in picker.content.decode()


@pytest.mark.parametrize("persona", ["requester", "colleague", "other_agent"])
def test_nobody_outside_the_department_gets_the_canned_responses_picker(world, client_for, canned, persona):
    sr = new_request(world)
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)
    client = client_for(getattr(world, persona))

    response = client.get(reverse("requests_app:canned_response_list", args=[sr.reference]))

    assert response.status_code == 404
    if persona != "other_agent":
        assert 'id="canned-responses"' not in client.get(sr.get_absolute_url()).content.decode()


# --- claim and assign from a queue row ------------------------------------------------------------

HTMX = {"HX-Request": "true"}
ROW_START = re.compile(r'^\s*<tr id="row-([A-Z]+-\d+)">')


def from_row(client: Any, action: str, sr: ServiceRequest, *, htmx: bool = True, **data: Any) -> Any:
    data = {"from_row": "1", "next": "/queues/it/?assignee=unassigned", **data}
    url = reverse(f"requests_app:request_{action}", args=[sr.reference])
    return client.post(url, data, headers=HTMX if htmx else {})


def assignee_cell(row: str) -> str:
    cell = row.split('class="assignee-cell">')[1].split("</td>")[0].split("<form")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()


def test_claiming_from_a_queue_row_returns_the_row_with_the_new_assignee(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.agent), "claim", sr)

    row = response.content.decode()
    assert response.status_code == 200
    assert ROW_START.match(row).group(1) == sr.reference
    assert "<html" not in row
    assert assignee_cell(row) == "Agent Tester"
    assert ">Open</span>" in row
    assert reload(sr).assignee == world.agent


def test_a_lead_assigns_from_a_queue_row(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.lead), "assign", sr, assignee=world.agent.pk)

    row = response.content.decode()
    assert response.status_code == 200
    assert ROW_START.match(row).group(1) == sr.reference
    assert assignee_cell(row) == "Agent Tester"
    assert f'data-current="{world.agent.pk}"' in row  # queue.js selects it in the row's assign menu
    assert reload(sr).assignee == world.agent


def test_a_lead_unassigns_from_a_queue_row(world, client_for):
    sr = new_request(world)
    services.request_claim(service_request=sr, by=world.agent)

    response = from_row(client_for(world.lead), "assign", sr, assignee="")

    assert response.status_code == 200
    assert "Unassigned" in assignee_cell(response.content.decode())
    assert reload(sr).assignee is None


def test_a_refused_claim_returns_the_row_with_the_reason(world, client_for):
    sr = new_request(world)
    services.request_cancel(service_request=sr, by=world.requester)

    response = from_row(client_for(world.agent), "claim", sr)

    row = response.content.decode()
    assert response.status_code == 409
    assert ROW_START.match(row).group(1) == sr.reference
    assert re.search(r'role="alert">A closed or cancelled request cannot be reassigned.<', row)
    assert reload(sr).assignee is None


def test_assigning_someone_outside_the_department_from_a_row_returns_the_row_with_the_reason(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.lead), "assign", sr, assignee=world.other_agent.pk)

    row = response.content.decode()
    assert response.status_code == 400
    assert ROW_START.match(row).group(1) == sr.reference
    assert "Select a valid choice" in row
    assert reload(sr).assignee is None


def test_an_agent_cannot_assign_others_from_a_row(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.agent), "assign", sr, assignee=world.lead.pk)

    assert response.status_code == 403
    assert reload(sr).assignee is None


def test_the_queue_rows_carry_the_htmx_claim_and_a_plain_form_behind_it(world, client_for):
    sr = new_request(world)

    page = client_for(world.lead).get(reverse("requests_app:queue", args=["it"]), {"assignee": "unassigned"})

    claim = reverse("requests_app:request_claim", args=[sr.reference])
    text = page.content.decode()
    assert f'<form method="post" action="{claim}" hx-post="{claim}"' in text
    assert '<input type="hidden" name="next" value="/queues/it/?assignee=unassigned">' in text
    assert f'hx-target="#row-{sr.reference}"' in text


def test_without_javascript_a_claim_from_the_queue_returns_to_the_queue(world, client_for):
    sr = new_request(world)
    client = client_for(world.agent)

    response = from_row(client, "claim", sr, htmx=False)

    assert response.status_code == 302
    assert response["Location"] == "/queues/it/?assignee=unassigned"
    assert "You took this request." in client.get(response["Location"]).content.decode()
    assert reload(sr).assignee == world.agent


def test_without_javascript_an_assignment_from_the_queue_returns_to_the_queue(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.lead), "assign", sr, htmx=False, assignee=world.agent.pk)

    assert response.status_code == 302
    assert response["Location"] == "/queues/it/?assignee=unassigned"


def test_without_javascript_a_link_to_another_site_is_not_followed(world, client_for):
    sr = new_request(world)

    response = from_row(client_for(world.agent), "claim", sr, htmx=False, next="https://evil.example/queues/it/")

    assert response.status_code == 302
    assert response["Location"] == sr.get_absolute_url()


def test_without_javascript_a_refused_claim_shows_the_reason_on_the_request_page(world, client_for):
    sr = new_request(world)
    services.request_cancel(service_request=sr, by=world.requester)

    response = from_row(client_for(world.agent), "claim", sr, htmx=False)

    assert response.status_code == 409
    assert "A closed or cancelled request cannot be reassigned." in response.content.decode()
    assert "<html" in response.content.decode()


# --- personal API tokens on the profile page -------------------------------------------------------

TOKEN_RE = re.compile(r'<code class="user-select-all[^"]*">(sd_[0-9a-f]{8}_[A-Za-z0-9_-]{20,})</code>')


def create_token(client: Any, name: str = "monitoring bot") -> Any:
    return client.post(reverse("requests_app:api_token_create"), {"name": name})


def test_a_new_token_is_shown_once_on_the_profile_page(world, client_for):
    client = client_for(world.requester)

    response = create_token(client)

    raw = TOKEN_RE.search(response.content.decode()).group(1)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    later = client.get(reverse("requests_app:profile")).content.decode()
    assert raw not in later
    assert raw.split("_", 2)[2] not in later
    assert 'id="new-token"' not in later


def test_only_a_hash_of_the_token_is_stored(world, client_for):
    raw = TOKEN_RE.search(create_token(client_for(world.requester)).content.decode()).group(1)

    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    secret = raw.split("_", 2)[2]
    stored = json.dumps(list(ApiToken.objects.values().get().values()), default=str)
    assert secret not in stored
    assert raw.startswith(f"sd_{token.prefix}_")


def test_the_profile_lists_tokens_by_name_and_prefix(world, client_for):
    client = client_for(world.requester)
    create_token(client, "monitoring bot")
    create_token(client, "chat bot")

    page = client.get(reverse("requests_app:profile")).content.decode()

    table = page.split('id="tokens"')[1]
    for token in ApiToken.objects.all():
        assert f"<td>{token.name}</td>" in table
        assert f"<code>sd_{token.prefix}_…</code>" in table


def test_a_token_is_revoked_on_the_profile_page(world, client_for):
    client = client_for(world.requester)
    raw = TOKEN_RE.search(create_token(client).content.decode()).group(1)
    token = ApiToken.objects.get()
    assert services.api_token_authenticate(raw) is not None

    response = client.post(reverse("requests_app:api_token_revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain == [(reverse("requests_app:profile"), 302)]
    assert ApiToken.objects.get().revoked_at is not None
    assert services.api_token_authenticate(raw) is None
    assert re.search(r'<span class="badge text-bg-secondary">revoked \d{4}-\d\d-\d\d</span>', response.content.decode())


def test_another_persons_token_cannot_be_revoked(world, client_for):
    raw = TOKEN_RE.search(create_token(client_for(world.requester)).content.decode()).group(1)
    token = ApiToken.objects.get()

    for person in (world.colleague, world.lead, world.admin):
        response = client_for(person).post(reverse("requests_app:api_token_revoke", args=[token.pk]))
        assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert services.api_token_authenticate(raw).user == world.requester


def test_revoking_is_a_post(world, client_for):
    client = client_for(world.requester)
    create_token(client)

    response = client.get(reverse("requests_app:api_token_revoke", args=[ApiToken.objects.get().pk]))

    assert response.status_code == 405
    assert ApiToken.objects.get().revoked_at is None


def test_a_token_needs_a_name(world, client_for):
    response = create_token(client_for(world.requester), name="  ")

    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert not TOKEN_RE.search(response.content.decode())


def test_the_profile_page_needs_a_signed_in_person(world, client):
    response = client.get(reverse("requests_app:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
