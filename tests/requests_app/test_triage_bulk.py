"""Bulk changes from the queue (``requests_app.services.triage``): each row goes through the same
service as one at a time, with the same history, clocks and emails."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from requests_app import services
from requests_app.models import EventKind, RequestEvent, Status

from .. import factories
from .triage_helpers import at, history, new_request, reload

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


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
