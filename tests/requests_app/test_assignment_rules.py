"""Assignment rules applied when a request is filed (``requests_app.services.filing``): round robin over
the available agents, by service, and manual."""

from __future__ import annotations

from typing import Any

import pytest

from departments.models import AssignmentRule, Membership
from requests_app import services
from requests_app.models import EventKind, ServiceRequest, Status

from .. import factories
from .triage_helpers import history, make_desk, new_request, reload

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


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
