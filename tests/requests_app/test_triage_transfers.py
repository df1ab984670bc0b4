"""Transfers between departments and the handoff ledger (``requests_app.services.triage``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from requests_app import selectors, services
from requests_app.models import Comment, EventKind, Handoff, RequestEvent, ServiceRequest, Status

from .. import factories
from .triage_helpers import at, history, make_desk, new_request, reload

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


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
