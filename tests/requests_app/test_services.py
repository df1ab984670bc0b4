"""Service-level rules: the workflow, races, numbering, clocks, the reopen window, a broker outage."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from kombu.exceptions import OperationalError

from departments.models import PRIORITY_RANK, Priority
from requests_app import services, tasks
from requests_app.models import Comment, EventKind, Notification, RequestEvent, ServiceRequest, Status
from requests_app.services import ALLOWED_TRANSITIONS, ConcurrentChange, TransitionNotAllowed

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

T0 = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


def file(world: Any, requester: Any = None) -> ServiceRequest:
    return factories.make_request(world.laptop, requester or world.requester, asset_tag="LT-1", reason="Slow")


def request_in(world: Any, status: str) -> ServiceRequest:
    """A fresh request brought to ``status`` through the services."""
    sr = file(world)
    if status in (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED):
        services.request_claim(service_request=sr, by=world.agent)
    if status == Status.WAITING:
        services.request_change_status(service_request=sr, to_status=Status.WAITING, by=world.agent)
    if status in (Status.RESOLVED, Status.CLOSED):
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Done")
    if status == Status.CLOSED:
        services.request_change_status(service_request=sr, to_status=Status.CLOSED, by=world.agent)
    if status == Status.CANCELLED:
        services.request_cancel(service_request=sr, by=world.requester)
    assert ServiceRequest.objects.get(pk=sr.pk).status == status
    return sr


def state(sr: ServiceRequest) -> tuple:
    row = ServiceRequest.objects.filter(pk=sr.pk).values_list("status", "assignee_id", "priority", "resolved_at").get()
    return (*row, RequestEvent.objects.filter(request=sr).count(), Comment.objects.filter(request=sr).count())


ILLEGAL = [(old, new) for old in Status.values for new in Status.values if new not in ALLOWED_TRANSITIONS[old]]
LEGAL = [(old, new) for old in Status.values for new in sorted(ALLOWED_TRANSITIONS[old])]


# The workflow


@pytest.mark.parametrize(("old", "new"), ILLEGAL, ids=[f"{o}->{n}" for o, n in ILLEGAL])
def test_status_change_outside_the_workflow_raises_and_changes_nothing(world, old, new):
    sr = request_in(world, old)
    before = state(sr)

    with pytest.raises(TransitionNotAllowed):
        services.request_change_status(service_request=sr, to_status=new, by=world.lead, note="Done")

    assert state(sr) == before


@pytest.mark.parametrize(("old", "new"), LEGAL, ids=[f"{o}->{n}" for o, n in LEGAL])
def test_status_change_inside_the_workflow_is_recorded_from_and_to(world, old, new):
    sr = request_in(world, old)

    services.request_change_status(service_request=sr, to_status=new, by=world.lead, note="Done")

    assert ServiceRequest.objects.get(pk=sr.pk).status == new
    event = RequestEvent.objects.filter(request=sr).latest("id")
    assert (event.actor, event.from_value, event.to_value) == (world.lead, old, new)


def test_unknown_status_raises(world):
    sr = file(world)

    with pytest.raises(TransitionNotAllowed):
        services.request_change_status(service_request=sr, to_status="done", by=world.agent)


def test_resolving_needs_a_note(world):
    sr = request_in(world, Status.OPEN)
    before = state(sr)

    with pytest.raises(ValidationError) as refused:
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="   ")

    assert "resolution_note" in refused.value.error_dict
    assert state(sr) == before


def test_resolving_records_when_and_reopening_clears_it(world):
    sr = request_in(world, Status.OPEN)

    services.request_resolve(service_request=sr, by=world.agent, resolution_note="Done")
    assert ServiceRequest.objects.get(pk=sr.pk).resolved_at is not None

    services.request_change_status(service_request=sr, to_status=Status.OPEN, by=world.agent)
    reopened = ServiceRequest.objects.get(pk=sr.pk)
    assert reopened.resolved_at is None
    assert RequestEvent.objects.filter(request=sr).latest("id").kind == EventKind.REOPENED


def test_employee_cannot_change_the_status_of_their_own_request(world):
    sr = file(world)
    before = state(sr)

    with pytest.raises(PermissionDenied):
        services.request_change_status(service_request=sr, to_status=Status.WAITING, by=world.requester)

    assert state(sr) == before


def test_requester_may_cancel_through_the_status_change(world):
    sr = file(world)

    services.request_change_status(service_request=sr, to_status=Status.CANCELLED, by=world.requester)

    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.CANCELLED


def test_colleague_cannot_cancel_someone_elses_request(world):
    sr = file(world)
    before = state(sr)

    with pytest.raises(PermissionDenied):
        services.request_cancel(service_request=sr, by=world.colleague)

    assert state(sr) == before


def test_comment_on_a_closed_or_cancelled_request_is_refused(world):
    for status in (Status.CLOSED, Status.CANCELLED):
        sr = request_in(world, status)
        before = state(sr)

        with pytest.raises(TransitionNotAllowed):
            services.comment_add(service_request=sr, author=world.requester, body="Hello?")

        assert state(sr) == before


def test_colleague_cannot_comment(world):
    sr = file(world)

    with pytest.raises(PermissionDenied):
        services.comment_add(service_request=sr, author=world.colleague, body="Me too")


def test_requester_cannot_add_an_internal_note(world):
    sr = file(world)

    with pytest.raises(PermissionDenied):
        services.comment_add(service_request=sr, author=world.requester, body="psst", internal=True)


# Assignment


def test_claiming_a_new_request_opens_it(world):
    sr = file(world)

    services.request_claim(service_request=sr, by=world.agent)

    assert state(sr)[:2] == (Status.OPEN, world.agent.pk)


def test_claiming_a_waiting_request_keeps_it_waiting(world):
    sr = request_in(world, Status.WAITING)

    services.request_claim(service_request=sr, by=world.lead)

    assert state(sr)[:2] == (Status.WAITING, world.lead.pk)


def test_agent_cannot_assign_someone_else(world):
    sr = file(world)
    before = state(sr)

    with pytest.raises(PermissionDenied):
        services.request_assign(service_request=sr, assignee=world.lead, by=world.agent)

    assert state(sr) == before


def test_lead_cannot_assign_someone_outside_the_department(world):
    sr = file(world)
    before = state(sr)

    with pytest.raises(ValidationError):
        services.request_assign(service_request=sr, assignee=world.other_agent, by=world.lead)

    assert state(sr) == before


def test_lead_unassigning_keeps_the_status(world):
    sr = request_in(world, Status.OPEN)

    services.request_assign(service_request=sr, assignee=None, by=world.lead)

    assert state(sr)[:2] == (Status.OPEN, None)
    event = RequestEvent.objects.filter(request=sr).latest("id")
    assert (event.kind, event.from_value, event.to_value) == (EventKind.ASSIGNED, "Agent Tester", "unassigned")


def test_priority_change_updates_the_sort_rank_and_is_recorded(world):
    sr = file(world)

    services.request_change_priority(service_request=sr, priority=Priority.CRITICAL, by=world.agent)

    saved = ServiceRequest.objects.get(pk=sr.pk)
    assert (saved.priority, saved.priority_rank) == (Priority.CRITICAL, PRIORITY_RANK[Priority.CRITICAL])
    event = RequestEvent.objects.filter(request=sr).latest("id")
    assert (event.kind, event.from_value, event.to_value) == (EventKind.PRIORITY, "normal", "critical")


# Races


def test_status_change_on_a_stale_copy_raises_concurrent_change(world):
    sr = file(world)
    first = ServiceRequest.objects.get(pk=sr.pk)
    second = ServiceRequest.objects.get(pk=sr.pk)
    services.request_change_status(service_request=first, to_status=Status.WAITING, by=world.agent)
    after_first = state(sr)

    with pytest.raises(ConcurrentChange):
        services.request_change_status(service_request=second, to_status=Status.CANCELLED, by=world.lead)

    assert state(sr) == after_first


def test_two_agents_claiming_at_once_only_one_wins(world):
    sr = file(world)
    first = ServiceRequest.objects.get(pk=sr.pk)
    second = ServiceRequest.objects.get(pk=sr.pk)
    services.request_claim(service_request=first, by=world.agent)

    with pytest.raises(ConcurrentChange):
        services.request_claim(service_request=second, by=world.lead)

    assert state(sr)[:2] == (Status.OPEN, world.agent.pk)
    assert RequestEvent.objects.filter(request=sr, kind=EventKind.ASSIGNED).count() == 1


def test_resolving_a_stale_copy_raises_concurrent_change(world):
    sr = request_in(world, Status.OPEN)
    first = ServiceRequest.objects.get(pk=sr.pk)
    second = ServiceRequest.objects.get(pk=sr.pk)
    services.request_cancel(service_request=first, by=world.requester)

    with pytest.raises(ConcurrentChange):
        services.request_resolve(service_request=second, by=world.agent, resolution_note="Done")

    assert state(sr)[0] == Status.CANCELLED


# Numbering


def test_reference_numbers_are_sequential_per_department(world):
    references = [
        factories.make_request(service, world.requester, purpose="x", asset_tag="a", reason="Slow").reference
        for service in (world.laptop, world.laptop, world.certificate, world.laptop, world.certificate)
    ]

    assert references == ["IT-1001", "IT-1002", "HR-1001", "IT-1003", "HR-1002"]


def test_refused_filing_does_not_use_up_a_number(world):
    world.laptop.is_active = False
    world.laptop.save(update_fields=["is_active"])
    with pytest.raises(ValidationError):
        file(world)
    world.laptop.is_active = True
    world.laptop.save(update_fields=["is_active"])

    assert file(world).reference == "IT-1001"


def test_filing_records_the_filed_event(world):
    sr = file(world)

    [event] = RequestEvent.objects.filter(request=sr)
    assert (event.kind, event.actor, event.to_value) == (EventKind.FILED, world.requester, "IT-1001")


# First response


def test_first_public_reply_by_staff_sets_first_responded_at(world):
    sr = file(world)

    reply = services.comment_add(service_request=sr, author=world.agent, body="On it")

    assert ServiceRequest.objects.get(pk=sr.pk).first_responded_at == reply.created_at


def test_internal_note_does_not_count_as_first_response(world):
    sr = file(world)

    services.comment_add(service_request=sr, author=world.agent, body="Looking", internal=True)

    assert ServiceRequest.objects.get(pk=sr.pk).first_responded_at is None


def test_requester_reply_does_not_count_as_first_response(world):
    sr = file(world)

    services.comment_add(service_request=sr, author=world.requester, body="Any news?")

    assert ServiceRequest.objects.get(pk=sr.pk).first_responded_at is None


def test_later_replies_do_not_move_the_first_response(world):
    sr = file(world)
    first = services.comment_add(service_request=sr, author=world.agent, body="On it")

    services.comment_add(service_request=sr, author=world.lead, body="Still on it")

    assert ServiceRequest.objects.get(pk=sr.pk).first_responded_at == first.created_at


def test_agents_reply_on_their_own_request_is_not_a_first_response(world):
    sr = file(world, requester=world.agent)

    services.comment_add(service_request=sr, author=world.agent, body="Adding details")

    assert ServiceRequest.objects.get(pk=sr.pk).first_responded_at is None


# Waiting and reopening


def test_requester_reply_resumes_a_waiting_request(world):
    sr = request_in(world, Status.WAITING)

    services.comment_add(service_request=sr, author=world.requester, body="Here you go")

    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.OPEN


def test_staff_reply_keeps_a_waiting_request_waiting(world):
    sr = request_in(world, Status.WAITING)

    services.comment_add(service_request=sr, author=world.agent, body="Reminder: we need the serial number")

    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.WAITING


@pytest.fixture
def resolved_at_t0(world: Any) -> ServiceRequest:
    with time_machine.travel(T0, tick=False):
        return request_in(world, Status.RESOLVED)


def test_requester_reply_reopens_within_the_window(world, settings, resolved_at_t0):
    settings.REOPEN_WINDOW_DAYS = 3

    with time_machine.travel(T0 + timedelta(days=3) - timedelta(minutes=1), tick=False):
        services.comment_add(service_request=resolved_at_t0, author=world.requester, body="Not fixed")

    assert state(resolved_at_t0)[0] == Status.OPEN


def test_requester_reply_after_the_window_is_refused_and_saves_nothing(world, settings, resolved_at_t0):
    settings.REOPEN_WINDOW_DAYS = 3
    before = state(resolved_at_t0)

    with (
        time_machine.travel(T0 + timedelta(days=3, minutes=1), tick=False),
        pytest.raises(TransitionNotAllowed, match="more than 3 days ago"),
    ):
        services.comment_add(service_request=resolved_at_t0, author=world.requester, body="Not fixed")

    assert state(resolved_at_t0) == before


def test_staff_cannot_reopen_after_the_window_either(world, settings, resolved_at_t0):
    settings.REOPEN_WINDOW_DAYS = 3
    before = state(resolved_at_t0)

    with time_machine.travel(T0 + timedelta(days=4), tick=False), pytest.raises(TransitionNotAllowed):
        services.request_change_status(service_request=resolved_at_t0, to_status=Status.OPEN, by=world.agent)

    assert state(resolved_at_t0) == before


def test_staff_can_still_close_after_the_window(world, settings, resolved_at_t0):
    settings.REOPEN_WINDOW_DAYS = 3

    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        services.request_change_status(service_request=resolved_at_t0, to_status=Status.CLOSED, by=world.agent)

    assert state(resolved_at_t0)[0] == Status.CLOSED


# Broker outage


def test_filing_succeeds_and_logs_when_the_broker_is_down(world, caplog, django_capture_on_commit_callbacks):
    down = OperationalError("Error 111 connecting to redis:6379. Connection refused.")
    with (
        mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=down) as apply_async,
        caplog.at_level(logging.ERROR, logger="requests_app.enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sr = file(world)

    apply_async.assert_called_once()
    assert ServiceRequest.objects.filter(pk=sr.pk, reference="IT-1001").exists()
    [record] = [r for r in caplog.records if r.name == "requests_app.enqueue"]
    assert record.levelno == logging.ERROR
    assert "Could not enqueue notification" in record.getMessage()
    assert Notification.objects.get(request=sr).sent_at is None  # the sweep will hand it out
    assert record.exc_info[0] is OperationalError


def test_filing_through_the_web_succeeds_when_the_broker_is_down(world, client_for, submit, caplog):
    down = OperationalError("Connection refused")
    data = {"title": "Broken", "f_asset_tag": "LT-9", "f_reason": "Broken"}
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=down):
        response = submit(client_for(world.requester), f"/services/{world.laptop.pk}/", data)

    assert response.status_code == 302
    assert ServiceRequest.objects.filter(title="Broken").exists()
    assert "Could not enqueue" in caplog.text


def test_notifications_are_enqueued_only_after_commit(world, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.deliver_notification, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks() as callbacks:
            sr = file(world)
        assert not apply_async.called
        assert len(callbacks) == 1

        callbacks[0]()

    notification = Notification.objects.get(request=sr)
    apply_async.assert_called_once_with(args=(notification.pk,), retry=False)


def test_two_priority_changes_from_the_same_copy_do_not_both_win(world):
    sr = file(world)
    first = ServiceRequest.objects.get(pk=sr.pk)
    second = ServiceRequest.objects.get(pk=sr.pk)
    services.request_change_priority(service_request=first, priority="high", by=world.agent)

    with pytest.raises(ConcurrentChange):
        services.request_change_priority(service_request=second, priority="low", by=world.lead)

    sr.refresh_from_db()
    assert sr.priority == "high"


def test_an_agent_replying_to_their_own_waiting_request_resumes_it(world):
    own = services.request_file(service=world.laptop, requester=world.agent, title="My own laptop", values={})
    services.request_change_status(service_request=own, to_status=Status.WAITING, by=world.lead)

    services.comment_add(service_request=own, author=world.agent, body="Here is the asset tag")

    own.refresh_from_db()
    assert own.status == Status.OPEN
    assert own.first_responded_at is None
