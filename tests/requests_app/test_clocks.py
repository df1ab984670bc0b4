"""The SLA engine as a specification: clocks on requests, the sweep, reminders, promises, exactly-once delivery.

Every test runs on a stopped clock (``time_machine``, ``tick=False``). The IT department works Monday to
Friday, 09:00-17:00 Europe/Berlin; the world's policy gives a normal request 240 business minutes to the
first response and 960 to resolution (high: 120 and 480), and warns at 75%.

The week used throughout: Friday 2026-11-20, the weekend, Monday 2026-11-23 to Friday 2026-11-27, and
Monday 2026-11-30. Berlin is at UTC+1 then.

``Desk`` drives the product the way people and Celery beat do: each call travels to its instant, acts
through the services (or runs the sweep) and commits, so what was enqueued on commit (the emails) runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError

from departments.models import Holiday, Priority, ReminderRule, SLAPolicy
from departments.services import calendar_compile
from requests_app import clocks, services, tasks
from requests_app.models import (
    Clock,
    EventKind,
    FollowUpPromise,
    Notification,
    NotificationKind,
    RequestEvent,
    ServiceRequest,
    Status,
)
from requests_app.services.sweep import SweepResult, sla_sweep

from .. import factories
from ..clocked import ClockedDesk

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

BERLIN = ZoneInfo("Europe/Berlin")


def _day(day: int) -> Callable[..., datetime]:
    """``mon(14, 30)``: that wall-clock time in Berlin on the day."""

    def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, second, tzinfo=BERLIN)

    return at


fri, sat, mon, tue, wed, thu, next_fri, next_mon = (_day(d) for d in (20, 21, 23, 24, 25, 26, 27, 30))


class Desk(ClockedDesk):
    """The service desk driven at chosen instants; every call commits, so on-commit deliveries run."""

    def file(self, moment: datetime, *, priority: str | None = None) -> ServiceRequest:
        with self.at(moment):
            return services.request_file(
                service=self.world.laptop,
                requester=self.world.requester,
                title="Laptop is slow",
                values={"asset_tag": "LT-1", "reason": "Slow"},
                priority=priority,
            )

    def reply(self, sr: ServiceRequest, moment: datetime, *, by: Any = None, internal: bool = False) -> None:
        with self.at(moment):
            services.comment_add(
                service_request=fresh(sr), author=by or self.world.agent, body="An answer", internal=internal
            )

    def requester_replies(self, sr: ServiceRequest, moment: datetime) -> None:
        self.reply(sr, moment, by=self.world.requester)

    def claim(self, sr: ServiceRequest, moment: datetime) -> None:
        with self.at(moment):
            services.request_claim(service_request=fresh(sr), by=self.world.agent)

    def wait_on_requester(self, sr: ServiceRequest, moment: datetime) -> None:
        with self.at(moment):
            services.request_change_status(service_request=fresh(sr), to_status=Status.WAITING, by=self.world.agent)

    def resolve(self, sr: ServiceRequest, moment: datetime) -> None:
        with self.at(moment):
            services.request_resolve(service_request=fresh(sr), by=self.world.agent, resolution_note="Fixed")

    def cancel(self, sr: ServiceRequest, moment: datetime) -> None:
        with self.at(moment):
            services.request_cancel(service_request=fresh(sr), by=self.world.requester)

    def change_priority(self, sr: ServiceRequest, priority: str, moment: datetime) -> None:
        with self.at(moment):
            services.request_change_priority(service_request=fresh(sr), priority=priority, by=self.world.lead)

    def promise(self, sr: ServiceRequest, moment: datetime, *, due_at: datetime) -> FollowUpPromise:
        with self.at(moment):
            return services.promise_make(service_request=fresh(sr), by=self.world.agent, due_at=due_at)

    def sweep(self, moment: datetime) -> SweepResult:
        """What Celery beat does at ``moment``."""
        with self.at(moment):
            return sla_sweep(now=moment)


def fresh(sr: ServiceRequest) -> ServiceRequest:
    """The row as a new web request would load it."""
    return ServiceRequest.objects.get(pk=sr.pk)


def rows(sr: ServiceRequest, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(request=sr, kind=kind))


def emails(kind: str) -> list[Any]:
    """Sent messages of one notification kind (each carries its outbox row id in a header)."""
    ids = {str(pk) for pk in Notification.objects.filter(kind=kind).values_list("pk", flat=True)}
    return [m for m in mail.outbox if m.extra_headers.get("X-Servicedesk-Notification") in ids]


def events(sr: ServiceRequest, kind: str) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(request=sr, kind=kind))


def rule(world: Any, **fields: Any) -> ReminderRule:
    return ReminderRule.objects.update_or_create(department=world.it, defaults=fields)[0]


@pytest.fixture
def office(world: Any) -> Any:
    """Monday to Friday, 09:00-17:00 in Berlin, as the IT department's calendar."""
    calendar = factories.make_calendar("Berlin office", "Europe/Berlin", hours=(9, 17))
    world.it.calendar = calendar
    world.it.save(update_fields=["calendar"])
    return calendar


@pytest.fixture
def desk(world: Any, office: Any, django_capture_on_commit_callbacks: Any) -> Desk:
    return Desk(world, django_capture_on_commit_callbacks)


# --- Filing stores due times ---------------------------------------------------------------------


def test_four_hour_first_response_filed_friday_afternoon_is_due_monday_noon(desk):
    sr = fresh(desk.file(fri(16)))

    assert sr.first_response_due_at == mon(12)


def test_sixteen_hour_resolution_filed_friday_afternoon_is_due_tuesday_afternoon(desk):
    # One hour on Friday, eight on Monday, seven on Tuesday.
    sr = fresh(desk.file(fri(16)))

    assert sr.resolution_due_at == tue(16)


def test_next_due_at_is_the_nearer_of_the_two_due_times(desk):
    sr = fresh(desk.file(fri(16)))

    assert sr.next_due_at == sr.first_response_due_at == mon(12)


def test_next_check_at_filing_is_the_75_percent_warning_of_the_first_response(desk):
    # 75% of 240 minutes is three hours: one on Friday, two on Monday.
    sr = fresh(desk.file(fri(16)))

    assert sr.sla_next_check_at == mon(11)


def test_a_holiday_in_the_calendar_moves_the_due_time(desk, office):
    Holiday.objects.create(calendar=office, date=mon(0).date(), name="Company day")
    calendar_compile(calendar=office)  # what the admin's save does after its inlines

    sr = fresh(desk.file(fri(16)))

    assert sr.first_response_due_at == tue(12)


# --- First response ------------------------------------------------------------------------------


def test_first_public_reply_by_an_agent_stops_the_first_response_clock(desk):
    sr = desk.file(mon(9))

    desk.reply(sr, mon(10))

    sr = fresh(sr)
    assert sr.first_responded_at == mon(10)
    assert sr.first_response_due_at is None
    assert sr.first_response_used_seconds == 3600
    assert sr.next_due_at == sr.resolution_due_at == tue(17)


def test_internal_note_does_not_stop_the_first_response_clock(desk):
    sr = desk.file(mon(9))

    desk.reply(sr, mon(10), internal=True)

    sr = fresh(sr)
    assert sr.first_responded_at is None
    assert sr.first_response_due_at == mon(13)


def test_requester_reply_does_not_count_as_a_first_response(desk, world):
    sr = desk.file(mon(9))

    desk.requester_replies(sr, mon(10))

    sr = fresh(sr)
    assert sr.first_responded_at is None
    assert sr.first_response_due_at == mon(13)


def test_first_reply_after_the_due_time_but_before_the_sweep_still_counts_as_a_breach(desk):
    sr = desk.file(mon(9))

    desk.reply(sr, mon(13, 0, 30))

    assert fresh(sr).first_response_breached_at == mon(13)


# --- Waiting on the requester, resuming, reopening -------------------------------------------------


def test_waiting_on_the_requester_pauses_resolution_and_keeps_the_time_used(desk):
    sr = desk.file(mon(9))
    desk.reply(sr, mon(11))

    desk.wait_on_requester(sr, mon(11))

    sr = fresh(sr)
    assert sr.resolution_due_at is None
    assert sr.resolution_used_seconds == 2 * 3600
    assert sr.waiting_since == mon(11)
    assert sr.next_due_at is None


def test_requester_reply_resumes_resolution_with_the_time_already_used(desk):
    sr = desk.file(mon(9))
    desk.reply(sr, mon(11))
    desk.wait_on_requester(sr, mon(11))

    desk.requester_replies(sr, tue(10))

    # 16h target, 2h used: 14h from Tuesday 10:00 is seven hours on Tuesday and seven on Wednesday.
    sr = fresh(sr)
    assert sr.status == Status.OPEN
    assert sr.resolution_due_at == wed(16)
    assert sr.resolution_used_seconds == 2 * 3600
    assert sr.waiting_since is None


def test_reopening_a_resolved_request_restarts_resolution_with_the_time_used(desk):
    sr = desk.file(mon(9))
    desk.reply(sr, mon(9, 30))
    desk.resolve(sr, mon(11))
    assert fresh(sr).resolution_due_at is None

    desk.requester_replies(sr, tue(9))

    # 2h used before resolving: the 14h left run from Tuesday 09:00 to Wednesday 15:00.
    sr = fresh(sr)
    assert sr.status == Status.OPEN
    assert sr.resolution_due_at == wed(15)


# --- Priority changes --------------------------------------------------------------------------------


def test_raising_priority_keeps_the_time_used_and_applies_the_new_targets(desk):
    sr = desk.file(mon(9))
    assert (fresh(sr).first_response_due_at, fresh(sr).resolution_due_at) == (mon(13), tue(17))

    desk.change_priority(sr, Priority.HIGH, mon(10, 40))

    # High: 120 and 480 minutes; 100 minutes are used on both clocks.
    sr = fresh(sr)
    assert (sr.first_response_target_minutes, sr.resolution_target_minutes) == (120, 480)
    assert (sr.first_response_used_seconds, sr.resolution_used_seconds) == (6000, 6000)
    assert sr.first_response_due_at == mon(11)
    assert sr.resolution_due_at == mon(17)
    assert sr.next_due_at == mon(11)


def test_raising_priority_past_a_warning_threshold_warns_once_at_the_next_sweep(desk):
    sr = desk.file(mon(9))
    desk.sweep(mon(10, 30))
    assert rows(sr, NotificationKind.SLA_WARNING) == []

    # 100 minutes used; 75% of the high target (90 minutes) is already behind us.
    desk.change_priority(sr, Priority.HIGH, mon(10, 40))
    desk.sweep(mon(10, 41))
    desk.sweep(mon(10, 42))

    [warning] = rows(sr, NotificationKind.SLA_WARNING)
    assert (warning.clock, warning.threshold) == (Clock.FIRST_RESPONSE, 75)
    assert len(emails(NotificationKind.SLA_WARNING)) == 1
    assert len(events(sr, EventKind.SLA_WARNING)) == 1


def test_lowering_the_priority_after_a_warning_warns_again_at_75_percent_of_the_new_target(desk):
    sr = desk.file(mon(9))
    desk.sweep(mon(12))

    # Low: 480 minutes to the first response; 210 are used, 75% (360) is reached at 15:00.
    desk.change_priority(sr, Priority.LOW, mon(12, 30))
    desk.sweep(mon(14, 59))
    assert len(rows(sr, NotificationKind.SLA_WARNING)) == 1
    desk.sweep(mon(15))

    assert fresh(sr).first_response_due_at == mon(17)
    assert len(emails(NotificationKind.SLA_WARNING)) == 2


def test_priority_changed_while_waiting_applies_when_the_resolution_clock_resumes(desk):
    sr = desk.file(mon(9))
    desk.reply(sr, mon(9, 30))
    desk.wait_on_requester(sr, mon(11))

    desk.change_priority(sr, Priority.HIGH, mon(12))
    assert fresh(sr).resolution_due_at is None
    desk.requester_replies(sr, tue(10))

    # High: 480 minutes; 120 were used before waiting, the 6 hours left end Tuesday 16:00.
    assert fresh(sr).resolution_due_at == tue(16)


def test_a_warning_already_sent_is_not_repeated_after_waiting_and_resuming(desk):
    sr = desk.file(mon(9))
    desk.reply(sr, mon(9, 5))
    desk.sweep(tue(13))  # 75% of the 16h resolution target
    assert len(rows(sr, NotificationKind.SLA_WARNING)) == 1

    desk.wait_on_requester(sr, tue(14))
    desk.requester_replies(sr, wed(9))
    desk.sweep(wed(9, 1))
    desk.sweep(wed(10))

    assert len(rows(sr, NotificationKind.SLA_WARNING)) == 1
    assert len(emails(NotificationKind.SLA_WARNING)) == 1


# --- The sweep: warnings and breaches ------------------------------------------------------------------


def test_sweep_at_75_percent_warns_the_department_when_nobody_is_assigned(desk, world):
    sr = desk.file(mon(9))

    desk.sweep(mon(12))

    [warning] = rows(sr, NotificationKind.SLA_WARNING)
    assert (warning.clock, warning.threshold) == (Clock.FIRST_RESPONSE, 75)
    [message] = emails(NotificationKind.SLA_WARNING)
    assert message.to == [world.agent.email, world.lead.email]
    [event] = events(sr, EventKind.SLA_WARNING)
    assert event.internal


def test_sweep_at_75_percent_warns_only_the_assignee(desk, world):
    sr = desk.file(mon(9))
    desk.claim(sr, mon(9, 5))

    desk.sweep(mon(12))

    [message] = emails(NotificationKind.SLA_WARNING)
    assert message.to == [world.agent.email]


def test_sweep_before_the_threshold_warns_nobody(desk):
    sr = desk.file(mon(9))

    desk.sweep(mon(11, 59))

    assert rows(sr, NotificationKind.SLA_WARNING) == []
    assert fresh(sr).sla_next_check_at == mon(12)


def test_running_the_sweep_again_at_the_same_or_a_later_time_creates_nothing_new(desk):
    sr = desk.file(mon(9))
    desk.sweep(mon(12))

    again = desk.sweep(mon(12))
    later = desk.sweep(mon(12, 30))

    assert (again.notifications, later.notifications) == (0, 0)
    assert len(rows(sr, NotificationKind.SLA_WARNING)) == 1
    assert len(emails(NotificationKind.SLA_WARNING)) == 1
    assert len(events(sr, EventKind.SLA_WARNING)) == 1


def test_sweep_at_the_due_time_records_the_breach_and_escalates_to_leads_and_extra_addresses(desk, world):
    rule(world, extra_escalation_emails="duty@example.com, cio@example.com")
    sr = desk.file(mon(9))
    desk.sweep(mon(12))

    desk.sweep(mon(13))

    assert fresh(sr).first_response_breached_at == mon(13)
    [message] = emails(NotificationKind.SLA_BREACH)
    assert message.to == ["cio@example.com", "duty@example.com", world.lead.email]
    [event] = events(sr, EventKind.SLA_BREACH)
    assert "first response" in event.to_value


def test_sweep_records_a_resolution_breach_and_escalates_it(desk, world):
    sr = desk.file(mon(10))  # resolution due Wednesday 10:00
    desk.reply(sr, mon(10, 30))

    desk.sweep(wed(10))

    assert fresh(sr).resolution_breached_at == wed(10)
    [message] = emails(NotificationKind.SLA_BREACH)
    assert "resolution" in message.subject
    assert message.to == [world.lead.email]


def test_breach_is_escalated_once_however_often_the_sweep_runs(desk):
    sr = desk.file(mon(9))
    desk.sweep(mon(13))

    desk.sweep(mon(13))
    desk.sweep(mon(14))

    assert len(rows(sr, NotificationKind.SLA_BREACH)) == 1
    assert len(emails(NotificationKind.SLA_BREACH)) == 1


def test_breach_noticed_on_saturday_is_recorded_at_once_but_escalated_on_monday_morning(desk):
    sr = desk.file(fri(13))  # first response due Friday 17:00
    desk.sweep(fri(16))

    desk.sweep(sat(10))

    assert fresh(sr).first_response_breached_at == fri(17)
    [breach] = rows(sr, NotificationKind.SLA_BREACH)
    assert breach.send_after == mon(9)
    assert emails(NotificationKind.SLA_BREACH) == []


def test_postponed_escalation_is_handed_out_once_on_monday(desk, world):
    desk.file(fri(13))
    desk.sweep(fri(16))
    desk.sweep(sat(10))

    desk.sweep(mon(9, 1))
    desk.sweep(mon(9, 5))

    [message] = emails(NotificationKind.SLA_BREACH)
    assert message.to == [world.lead.email]


def test_postponed_escalation_is_handed_out_at_opening_time_sharp(desk):
    desk.file(fri(13))
    desk.sweep(sat(10))

    desk.sweep(mon(9))

    assert len(emails(NotificationKind.SLA_BREACH)) == 1


def test_round_the_clock_policy_escalates_on_saturday(desk):
    SLAPolicy.objects.update(round_the_clock=True)
    sr = desk.file(fri(13))

    desk.sweep(sat(10))

    assert rows(sr, NotificationKind.SLA_BREACH)[0].send_after == fri(17)
    assert len(emails(NotificationKind.SLA_BREACH)) == 1


def test_warning_noticed_late_at_the_weekend_waits_for_monday_morning(desk):
    # Nobody swept on Friday afternoon (beat was down); the 75% instant was Friday 16:00.
    sr = desk.file(fri(13))

    desk.sweep(sat(10))

    [warning] = rows(sr, NotificationKind.SLA_WARNING)
    assert warning.send_after == mon(9)
    assert emails(NotificationKind.SLA_WARNING) == []
    desk.sweep(mon(9, 1))
    assert len(emails(NotificationKind.SLA_WARNING)) == 1


# --- Requester reminders, auto-close -------------------------------------------------------------------


@pytest.fixture
def reminders(world: Any) -> ReminderRule:
    """Remind after 8 business hours of waiting; last warning after 4 business days; close after 5."""
    return rule(world, remind_requester_after_hours=8, auto_close_after_days=5, auto_close_warning_days=1)


@pytest.fixture
def waiting(desk: Desk, reminders: ReminderRule) -> ServiceRequest:
    """Answered and put on waiting on Monday 10:00."""
    sr = desk.file(mon(9))
    desk.reply(sr, mon(10))
    desk.wait_on_requester(sr, mon(10))
    return sr


def test_requester_is_reminded_once_after_n_business_hours_of_waiting(desk, world, waiting):
    desk.sweep(tue(9, 59))
    assert emails(NotificationKind.REQUESTER_REMINDER) == []

    desk.sweep(tue(10))
    desk.sweep(tue(11))

    [message] = emails(NotificationKind.REQUESTER_REMINDER)
    assert message.to == [world.requester.email]
    assert len(events(waiting, EventKind.REQUESTER_REMINDED)) == 1


def test_requester_gets_a_last_warning_a_day_before_auto_close(desk, world, waiting):
    desk.sweep(tue(10))

    desk.sweep(next_fri(10))  # 4 business days of waiting

    [message] = emails(NotificationKind.AUTO_CLOSE_WARNING)
    assert message.to == [world.requester.email]
    assert fresh(waiting).status == Status.WAITING


def test_silence_auto_closes_the_request_with_history_and_email(desk, world, waiting):
    desk.sweep(tue(10))
    desk.sweep(next_fri(10))

    desk.sweep(next_mon(10))  # 5 business days of waiting

    sr = fresh(waiting)
    assert sr.status == Status.CLOSED
    assert sr.closed_at == next_mon(10)
    assert sr.sla_next_check_at is None
    assert len(events(sr, EventKind.AUTO_CLOSED)) == 1
    [message] = emails(NotificationKind.AUTO_CLOSED)
    assert message.to == [world.requester.email]


def test_requester_reply_cancels_the_pending_last_warning_and_auto_close(desk, waiting):
    desk.sweep(tue(10))

    desk.requester_replies(waiting, wed(9))
    desk.sweep(next_fri(10))
    desk.sweep(next_mon(10))

    assert fresh(waiting).status == Status.OPEN
    assert rows(waiting, NotificationKind.AUTO_CLOSE_WARNING) == []
    assert rows(waiting, NotificationKind.AUTO_CLOSED) == []


def test_requester_reply_before_the_reminder_cancels_it(desk, waiting):
    desk.requester_replies(waiting, mon(16))

    desk.sweep(tue(10))

    assert rows(waiting, NotificationKind.REQUESTER_REMINDER) == []


def test_a_new_wait_reminds_the_requester_again(desk, waiting):
    desk.sweep(tue(10))
    desk.requester_replies(waiting, tue(11))
    desk.wait_on_requester(waiting, tue(12))

    desk.sweep(wed(12))

    assert len(emails(NotificationKind.REQUESTER_REMINDER)) == 2


def test_agent_answering_while_waiting_does_not_remind_the_requester_twice(desk, reminders):
    sr = desk.file(mon(9))
    desk.wait_on_requester(sr, mon(9, 30))  # asked on the phone; the first written answer comes later
    desk.sweep(tue(9, 30))
    assert len(emails(NotificationKind.REQUESTER_REMINDER)) == 1

    desk.reply(sr, tue(10))  # the first response moves the clocks
    desk.sweep(tue(10, 1))

    assert len(emails(NotificationKind.REQUESTER_REMINDER)) == 1


# --- Feedback --------------------------------------------------------------------------------------------


def test_feedback_is_requested_once_after_resolution(desk, world):
    sr = desk.file(mon(9))
    desk.resolve(sr, mon(10))

    desk.sweep(mon(10, 1))
    desk.sweep(tue(10))

    [message] = emails(NotificationKind.FEEDBACK_REQUEST)
    assert message.to == [world.requester.email]
    assert len(events(sr, EventKind.FEEDBACK_REQUESTED)) == 1
    assert fresh(sr).sla_next_check_at is None


def test_feedback_is_not_requested_when_switched_off(desk, world):
    rule(world, request_feedback=False)
    sr = desk.file(mon(9))
    desk.resolve(sr, mon(10))

    desk.sweep(mon(10, 1))

    assert rows(sr, NotificationKind.FEEDBACK_REQUEST) == []


# --- Follow-up promises ----------------------------------------------------------------------------------


@pytest.fixture
def promised(desk: Desk) -> tuple[ServiceRequest, FollowUpPromise]:
    """Answered at 09:10; at 09:15 the agent promises an update by 15:00 (reminder at 14:00)."""
    sr = desk.file(mon(9))
    desk.reply(sr, mon(9, 10))
    return sr, desk.promise(sr, mon(9, 15), due_at=mon(15))


def test_agent_is_reminded_before_the_promised_update(desk, world, promised):
    desk.sweep(mon(13, 59))
    assert emails(NotificationKind.PROMISE_REMINDER) == []

    desk.sweep(mon(14))
    desk.sweep(mon(14, 30))

    [message] = emails(NotificationKind.PROMISE_REMINDER)
    assert message.to == [world.agent.email]


def test_public_reply_before_the_promised_time_keeps_the_promise(desk, promised):
    sr, promise = promised
    desk.reply(sr, mon(14, 30))

    desk.sweep(mon(15))
    desk.sweep(mon(16))

    promise.refresh_from_db()
    assert promise.kept_at == mon(14, 30)
    assert promise.missed_at is None
    assert emails(NotificationKind.PROMISE_MISSED) == []


def test_missed_promise_tells_the_requester_and_the_leads_once(desk, world, promised):
    sr, promise = promised

    desk.sweep(mon(15))
    desk.sweep(mon(15, 1))
    desk.sweep(tue(10))

    promise.refresh_from_db()
    assert promise.missed_at == mon(15)
    [message] = emails(NotificationKind.PROMISE_MISSED)
    assert message.to == [world.lead.email, world.requester.email]
    assert len(events(sr, EventKind.PROMISE_MISSED)) == 1


def test_promise_reminder_is_sent_once_even_when_the_due_times_move(desk, promised):
    sr, _ = promised
    desk.sweep(mon(14))

    desk.change_priority(sr, Priority.HIGH, mon(14, 10))
    desk.sweep(mon(14, 11))

    assert len(emails(NotificationKind.PROMISE_REMINDER)) == 1


def test_a_new_promise_replaces_the_earlier_one_and_only_it_is_followed_up(desk, promised):
    sr, first = promised

    second = desk.promise(sr, mon(10), due_at=tue(12))
    desk.sweep(mon(14))
    desk.sweep(mon(15))
    desk.sweep(tue(11))

    first.refresh_from_db()
    assert first.withdrawn_at == mon(10)
    assert [n.subject_id for n in rows(sr, NotificationKind.PROMISE_REMINDER)] == [second.pk]
    assert rows(sr, NotificationKind.PROMISE_MISSED) == []


# --- Exactly once under duplication -------------------------------------------------------------------------


def test_two_sweeps_at_the_same_instant_create_each_notification_once(desk):
    sr = desk.file(mon(9))

    with desk.at(mon(12)):
        first = sla_sweep(now=mon(12))
        second = sla_sweep(now=mon(12))

    assert (first.notifications, second.notifications) == (1, 0)
    assert len(emails(NotificationKind.SLA_WARNING)) == 1
    assert len(events(sr, EventKind.SLA_WARNING)) == 1


def test_delivering_the_same_notification_twice_sends_one_email(world, office):
    with time_machine.travel(mon(9), tick=False):
        sr = factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")
        [row] = rows(sr, NotificationKind.REQUEST_FILED)

        assert tasks.deliver_notification(row.pk) is True
        assert tasks.deliver_notification(row.pk) is False

    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.sent_at, row.attempts) == (mon(9), 1)


def test_stale_claim_is_handed_out_again_by_the_sweep_and_sent_once(desk, world):
    # A worker claimed the new-request email and died before sending it.
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=OperationalError("down")):
        sr = desk.file(mon(9))
    lease = timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
    Notification.objects.filter(request=sr).update(claimed_at=mon(9), attempts=1)

    result = desk.sweep(mon(9) + lease + timedelta(seconds=1))
    desk.sweep(mon(9) + lease + timedelta(seconds=90))

    assert result.requeued == 1
    [message] = emails(NotificationKind.REQUEST_FILED)
    assert message.to == [world.agent.email, world.lead.email]


def test_claim_within_its_lease_is_not_handed_out_again(desk):
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=OperationalError("down")):
        sr = desk.file(mon(9))
    Notification.objects.filter(request=sr).update(claimed_at=mon(9, 4))

    result = desk.sweep(mon(9, 5))

    assert result.requeued == 0
    assert mail.outbox == []


def test_fresh_unclaimed_row_within_the_grace_period_is_not_handed_out(desk):
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=OperationalError("down")):
        desk.file(mon(9))
    grace = timedelta(seconds=settings.NOTIFICATION_REQUEUE_GRACE_SECONDS)

    result = desk.sweep(mon(9) + grace - timedelta(seconds=1))

    assert result.requeued == 0
    assert mail.outbox == []


def test_a_sweep_row_whose_delivery_was_lost_is_handed_out_after_the_grace_period(desk):
    sr = desk.file(mon(9))
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=OperationalError("down")):
        desk.sweep(mon(12))
    assert emails(NotificationKind.SLA_WARNING) == []
    grace = timedelta(seconds=settings.NOTIFICATION_REQUEUE_GRACE_SECONDS)

    desk.sweep(mon(12) + grace + timedelta(seconds=1))
    desk.sweep(mon(12) + grace + timedelta(seconds=61))

    assert len(emails(NotificationKind.SLA_WARNING)) == 1
    assert rows(sr, NotificationKind.SLA_WARNING)[0].sent_at is not None


# --- A broker outage at filing ---------------------------------------------------------------------------------


def test_filing_succeeds_while_the_broker_is_down_and_leaves_the_email_unsent(desk):
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=OperationalError("down")):
        sr = desk.file(mon(9))

    assert ServiceRequest.objects.filter(pk=sr.pk, status=Status.NEW).exists()
    [row] = rows(sr, NotificationKind.REQUEST_FILED)
    assert row.sent_at is None
    assert mail.outbox == []


def test_sweep_after_the_grace_period_delivers_what_the_broker_lost_exactly_once(desk, world):
    with mock.patch.object(tasks.deliver_notification, "apply_async", side_effect=OperationalError("down")):
        sr = desk.file(mon(9))

    desk.sweep(mon(9, 2))
    desk.sweep(mon(9, 3))

    [message] = emails(NotificationKind.REQUEST_FILED)
    assert sr.reference in message.subject
    assert rows(sr, NotificationKind.REQUEST_FILED)[0].sent_at == mon(9, 2)


# --- Cost follows what is due -------------------------------------------------------------------------------------


def test_sweep_reads_only_what_is_due_whatever_the_number_of_open_requests(desk):
    def sweep_with(day: Any, not_due: int) -> tuple[int, SweepResult]:
        due = [desk.file(day(9)) for _ in range(3)]  # 75% of the first response at 12:00
        later = [desk.file(day(11)) for _ in range(not_due)]  # 75% at 14:00
        with CaptureQueriesContext(connection) as queries:
            result = desk.sweep(day(12, 30))
        for sr in due + later:
            desk.cancel(sr, day(13))
        return len(queries), result

    few_queries, few = sweep_with(mon, 5)
    many_queries, many = sweep_with(tue, 50)

    assert (few.requests, many.requests) == (3, 3)
    assert (few.notifications, many.notifications) == (3, 3)
    assert few_queries == many_queries


def test_requests_with_nothing_pending_are_never_read_by_the_sweep(desk):
    closed, cancelled = desk.file(mon(9)), desk.file(mon(9))
    desk.resolve(closed, mon(10))
    desk.sweep(mon(10, 1))  # feedback requested: nothing else is pending for a resolved request
    desk.cancel(cancelled, mon(10))
    with desk.at(mon(11)):
        services.request_change_status(service_request=fresh(closed), to_status=Status.CLOSED, by=desk.world.agent)

    assert fresh(closed).sla_next_check_at is None
    assert fresh(cancelled).sla_next_check_at is None
    assert desk.sweep(next_mon(9)).requests == 0


# --- replay() ---------------------------------------------------------------------------------------------------------


CLOCK_STATE = [name for name in clocks.CLOCK_FIELDS if name != "sla_generation"]


def test_replay_of_backdated_history_gives_the_same_clocks_as_the_live_path(desk, world):
    # Live: filed Monday 09:00, answered and put on waiting at 10:00, the requester answers at 14:00.
    live = desk.file(mon(9))
    desk.reply(live, mon(10))
    desk.wait_on_requester(live, mon(10))
    desk.requester_replies(live, mon(14))
    live = fresh(live)

    # Imported on Thursday with the same history written afterwards with backdated times.
    imported = desk.file(thu(12))
    ServiceRequest.objects.filter(pk=imported.pk).update(
        created_at=mon(9), status=Status.OPEN, first_responded_at=mon(10)
    )
    RequestEvent.objects.filter(request=imported).update(created_at=mon(9))
    for moment, kind, old, new in [
        (mon(10), EventKind.REPLY, "", ""),
        (mon(10), EventKind.STATUS, Status.NEW, Status.WAITING),
        (mon(14), EventKind.STATUS, Status.WAITING, Status.OPEN),
        (mon(14), EventKind.REPLY, "", ""),
    ]:
        event = RequestEvent.objects.create(request=imported, kind=kind, from_value=old, to_value=new)
        RequestEvent.objects.filter(pk=event.pk).update(created_at=moment)
    imported = fresh(imported)

    clocks.replay(imported, imported.events.all(), clocks.SLAConfig([imported.service_id]))

    assert {f: getattr(imported, f) for f in CLOCK_STATE} == {f: getattr(live, f) for f in CLOCK_STATE}
    # One hour used before waiting: the 15 hours left run from Monday 14:00 to Wednesday 13:00.
    assert imported.resolution_due_at == wed(13)
    assert imported.status == Status.OPEN


def test_replaying_a_live_request_keeps_its_due_times_and_sends_nothing_twice(desk):
    sr = desk.file(mon(9))
    desk.sweep(mon(12))
    desk.sweep(mon(13))
    before = fresh(sr)
    sent = len(mail.outbox)

    replayed = fresh(sr)
    clocks.replay(replayed, replayed.events.all(), clocks.SLAConfig([replayed.service_id]))
    ServiceRequest.objects.filter(pk=sr.pk).update(**{f: getattr(replayed, f) for f in clocks.CLOCK_FIELDS})
    desk.sweep(mon(13, 1))

    # Replay forgets breaches and points the next check at the earliest instant, past ones included:
    # the next sweep looks again, finds every message already sent, and records the breach again.
    kept = [f for f in CLOCK_STATE if "breached" not in f and f != "sla_next_check_at"]
    assert {f: getattr(replayed, f) for f in kept} == {f: getattr(before, f) for f in kept}
    assert fresh(sr).first_response_breached_at == mon(13)
    assert len(mail.outbox) == sent


def test_replay_applies_a_priority_change_at_the_time_it_happened(desk, world):
    live = desk.file(mon(9))
    desk.change_priority(live, Priority.HIGH, mon(10, 40))
    live = fresh(live)

    imported = desk.file(thu(12), priority=Priority.HIGH)
    ServiceRequest.objects.filter(pk=imported.pk).update(created_at=mon(9))
    RequestEvent.objects.filter(request=imported).update(created_at=mon(9))
    event = RequestEvent.objects.create(
        request=imported, kind=EventKind.PRIORITY, from_value=Priority.NORMAL, to_value=Priority.HIGH
    )
    RequestEvent.objects.filter(pk=event.pk).update(created_at=mon(10, 40))
    imported = fresh(imported)

    clocks.replay(imported, imported.events.all(), clocks.SLAConfig([imported.service_id]))

    assert {f: getattr(imported, f) for f in CLOCK_STATE} == {f: getattr(live, f) for f in CLOCK_STATE}
    assert imported.first_response_due_at == mon(11)
