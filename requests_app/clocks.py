"""The SLA engine: clocks on requests, and what falls due when.

Clocks. Each request has a first-response and a resolution clock. A clock is
(target, business time used before the current run, running since). Its due
time is ``add_business_time(running_since, target - used)`` on the request's
calendar and is stored; it changes only when the clock starts, pauses,
resumes, stops or gets a new target, and each change bumps
``sla_generation``. Nothing here reads the wall clock: callers pass ``now``.

Schedule. ``schedule()`` lists every instant at which something must happen
for the request in its current generation (warnings, breaches, requester
reminders, auto-close, feedback, promise reminders). The sweep handles the
ones at or before ``now`` and stores the earliest later one in
``sla_next_check_at``, the single indexed column it selects by. Because the
notification rows are unique per (request, kind, clock, threshold,
generation, subject), handling the same instant twice creates nothing twice.

Each ``Due`` carries that key, and the key names the occurrence, not the
moment it was listed: a warning is once per threshold of a target, a
requester reminder once per wait, a promise reminder once per promise. So a
change that bumps the generation (a first reply, a priority change, a
pause) never makes the sweep send again what it already sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from departments import business_time
from departments.models import (
    BusinessCalendar,
    Department,
    ReminderRule,
    Service,
    SLAPolicy,
    SLATarget,
    default_sla_calendar,
)

from . import extensions
from .models import Clock, EventKind, FollowUpPromise, NotificationKind, ServiceRequest, Status

logger = logging.getLogger(__name__)

# What SLAConfig needs joined to a service: read services with these and no further query is needed.
SERVICE_JOINS = ("department", "sla_policy", "calendar", "department__default_sla_policy", "department__calendar")


def service_joins(prefix: str = "") -> list[str]:
    """``SERVICE_JOINS`` from a related model: ``service_joins("service__")`` for requests."""
    return [prefix + join for join in SERVICE_JOINS]


BUSINESS_DAY = timedelta(hours=8)
CLOCKS = (Clock.FIRST_RESPONSE, Clock.RESOLUTION)
# Messages to staff wait for working hours unless the policy is 24/7.
STAFF_KINDS = frozenset({NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH, NotificationKind.PROMISE_REMINDER})


@dataclass(frozen=True)
class Due:
    """Something that must happen at ``instant`` for a request.

    (kind, clock, threshold, generation, subject_id) is the notification's unique key. ``subject_id`` is
    the promise for promise messages, the target in minutes for SLA warnings, and the minute (since the
    epoch) the wait began for messages to a requester we wait on; ``generation`` is the request's
    ``sla_generation`` for breaches and feedback requests, 0 for the others.
    """

    instant: datetime
    kind: str
    clock: str = ""
    threshold: int = 0
    subject_id: int = 0
    generation: int = 0


class SLAConfig:
    """Calendars, policies and reminder rules for a set of services, in as few queries as possible.

    One query reads the services with their departments, policies and calendars (each calendar's
    week and holidays come compiled in its row); targets and reminder rules are read on first use
    (one query each), so a page that only shows clocks never reads them. Pass ``services`` already
    loaded that way (``SERVICE_JOINS``) to skip even the first query. The sweep builds one per
    batch; a single filing builds one for its service.
    """

    def __init__(self, service_ids: Iterable[int] = (), *, services: Iterable[Service] | None = None) -> None:
        if services is None:
            services = Service.objects.filter(pk__in=set(service_ids)).select_related(*SERVICE_JOINS)
        self.services: dict[int, Service] = {}
        self.calendars: dict[int, business_time.Calendar] = {}
        self.policies: dict[int, SLAPolicy] = {}
        for service in services:
            self._add_service(service)
        self._targets: dict[int, list[SLATarget]] | None = None
        self._rules: dict[int, ReminderRule] | None = None
        self._default_calendar: business_time.Calendar | None = None

    def _add_calendar(self, calendar: BusinessCalendar) -> None:
        try:
            self.calendars[calendar.pk] = calendar.to_sla_calendar()
        except business_time.CalendarError:
            # Admin refuses such calendars; one written around it must not stop people filing.
            logger.exception("Calendar %s is unusable; using the default calendar instead", calendar.pk)

    def _add_service(self, service: Service) -> None:
        self.services[service.pk] = service
        for calendar in (service.calendar, service.department.calendar):
            if calendar is not None and calendar.pk not in self.calendars:
                self._add_calendar(calendar)
        for policy in (service.sla_policy, service.department.default_sla_policy):
            if policy is not None:
                self.policies.setdefault(policy.pk, policy)

    def _service(self, service_id: int) -> Service:
        """A service given at construction, or else read now (one query): a page built for one department's
        services still shows a request whose service an admin has since moved to another department."""
        service = self.services.get(service_id)
        if service is None:
            service = Service.objects.select_related(*SERVICE_JOINS).get(pk=service_id)
            self._add_service(service)
            if self._targets is not None:
                self._targets = None  # read again, with the new service's policy
        return service

    def calendar(self, service_id: int) -> business_time.Calendar:
        service = self._service(service_id)
        calendar_id = service.calendar_id or service.department.calendar_id
        if calendar_id in self.calendars:
            return self.calendars[calendar_id]
        if self._default_calendar is None:
            self._default_calendar = default_sla_calendar()
        return self._default_calendar

    def policy(self, service_id: int) -> SLAPolicy | None:
        service = self._service(service_id)
        return self.policies.get(service.sla_policy_id or service.department.default_sla_policy_id or 0)

    def target(self, service_id: int, priority: str) -> SLATarget | None:
        policy = self.policy(service_id)
        if policy is None:
            return None
        if self._targets is None:
            self._targets = {pk: [] for pk in self.policies}
            for target in SLATarget.objects.filter(policy_id__in=self.policies):
                self._targets[target.policy_id].append(target)
        return next((t for t in self._targets[policy.pk] if t.priority == priority), None)

    def rule(self, department: Department | int) -> ReminderRule:
        department_id = department if isinstance(department, int) else department.pk
        if self._rules is None:
            department_ids = {s.department_id for s in self.services.values()} | {department_id}
            self._rules = {r.department_id: r for r in ReminderRule.objects.filter(department_id__in=department_ids)}
        rule = self._rules.get(department_id)
        if rule is None:
            rule = ReminderRule(department_id=department_id)
            self._rules[department_id] = rule
        return rule

    def round_the_clock(self, service_id: int) -> bool:
        policy = self.policy(service_id)
        return bool(policy and policy.round_the_clock)


# --- clock state -------------------------------------------------------------------------------


def _fields(clock: str) -> tuple[str, str, str, str, str]:
    return (
        f"{clock}_target_minutes",
        f"{clock}_used_seconds",
        f"{clock}_running_since",
        f"{clock}_due_at",
        f"{clock}_breached_at",
    )


def _is_running(service_request: ServiceRequest, clock: str) -> bool:
    return getattr(service_request, f"{clock}_running_since") is not None


def _stop_run(service_request: ServiceRequest, clock: str, calendar: business_time.Calendar, now: datetime) -> None:
    """Add the current run's business time to what the clock has used; the clock no longer runs."""
    _, used_f, since_f, due_f, breached_f = _fields(clock)
    since = getattr(service_request, since_f)
    if since is None:
        return
    used = getattr(service_request, used_f) + max(
        0, int(business_time.business_time_between(calendar, since, now).total_seconds())
    )
    setattr(service_request, used_f, used)
    setattr(service_request, since_f, None)
    due = getattr(service_request, due_f)
    if due is not None and due <= now and getattr(service_request, breached_f) is None:
        # Stopped after the due time but before a sweep noticed: still a breach.
        setattr(service_request, breached_f, due)
    setattr(service_request, due_f, None)


def _fold(service_request: ServiceRequest, calendar: business_time.Calendar, now: datetime) -> None:
    """Move the business time of current runs into ``used`` and restart them at ``now``.

    Done before any change, so the new generation's schedule only holds
    thresholds still ahead: a threshold already passed is never warned twice.
    """
    for clock in CLOCKS:
        _, used_f, since_f, _, _ = _fields(clock)
        since = getattr(service_request, since_f)
        if since is not None and since < now:
            spent = int(business_time.business_time_between(calendar, since, now).total_seconds())
            setattr(service_request, used_f, getattr(service_request, used_f) + max(0, spent))
            setattr(service_request, since_f, now)


def _start_run(service_request: ServiceRequest, clock: str, now: datetime) -> None:
    _, _, since_f, _, _ = _fields(clock)
    if getattr(service_request, since_f) is None:
        setattr(service_request, since_f, now)


def _refresh_due(service_request: ServiceRequest, calendar: business_time.Calendar, risk_percent: int) -> None:
    """Due times from the clock state; ``next_due_at`` is the nearest of the running ones.

    ``at_risk_at`` is the earliest instant a running clock reaches ``risk_percent`` of its target
    (already past when a clock resumes beyond it), so "at risk" is a comparison with now in SQL.
    """
    nearest = risk = None
    for clock in CLOCKS:
        target_f, used_f, since_f, due_f, _ = _fields(clock)
        target, since = getattr(service_request, target_f), getattr(service_request, since_f)
        if target is None or since is None:
            setattr(service_request, due_f, None)
            continue
        used = getattr(service_request, used_f)
        remaining = max(0, target * 60 - used)
        due = business_time.add_business_time(calendar, since, timedelta(seconds=remaining))
        setattr(service_request, due_f, due)
        nearest = due if nearest is None else min(nearest, due)
        to_risk = target * 60 * risk_percent // 100 - used
        at = business_time.add_business_time(calendar, since, timedelta(seconds=to_risk)) if to_risk > 0 else since
        risk = at if risk is None else min(risk, at)
    service_request.next_due_at = nearest
    service_request.at_risk_at = risk


def risk_percent(policy: SLAPolicy | None) -> int:
    """The first warning threshold: where the badge turns from "on track" to "at risk"."""
    thresholds = policy.threshold_list if policy else []
    return thresholds[0] if thresholds else 75


CLOCK_FIELDS = [
    *[f for clock in CLOCKS for f in _fields(clock)],
    "next_due_at",
    "at_risk_at",
    "sla_generation",
    "sla_next_check_at",
    "waiting_since",
]


def start_clocks(service_request: ServiceRequest, config: SLAConfig, now: datetime) -> None:
    """At filing (and at a transfer, for the new department): both clocks start afresh with the targets
    of the request's service and priority; nothing used, nothing breached, a new generation."""
    service_request.first_response_breached_at = service_request.resolution_breached_at = None
    target = config.target(service_request.service_id, service_request.priority)
    service_request.first_response_target_minutes = target.first_response_minutes if target else None
    service_request.resolution_target_minutes = target.resolution_minutes if target else None
    service_request.first_response_used_seconds = service_request.resolution_used_seconds = 0
    service_request.first_response_running_since = service_request.resolution_running_since = now
    _after_change(service_request, config, None)


def retarget(service_request: ServiceRequest, config: SLAConfig, now: datetime) -> None:
    """Priority (or service) changed: running clocks keep the time used and get the new targets."""
    before = _snapshot(service_request)
    calendar = config.calendar(service_request.service_id)
    _fold(service_request, calendar, now)
    target = config.target(service_request.service_id, service_request.priority)
    if service_request.first_responded_at is None:
        service_request.first_response_target_minutes = target.first_response_minutes if target else None
    service_request.resolution_target_minutes = target.resolution_minutes if target else None
    _after_change(service_request, config, before)


def on_status_change(
    service_request: ServiceRequest,
    old: str,
    new: str,
    config: SLAConfig,
    now: datetime,
    before: Snapshot | None = None,
) -> None:
    """Pause while waiting on the requester, resume on their answer, stop at resolved/closed/cancelled.

    Call after ``sr.status`` is set to ``new``; ``before`` defaults to the state with the old status.
    """
    if before is None:
        before = (
            service_request.first_response_due_at,
            service_request.resolution_due_at,
            service_request.waiting_since,
            old,
        )
    calendar = config.calendar(service_request.service_id)
    _fold(service_request, calendar, now)
    if new == Status.WAITING:
        _stop_run(service_request, Clock.RESOLUTION, calendar, now)
        service_request.waiting_since = now
    elif new == Status.OPEN and old in (Status.WAITING, Status.RESOLVED, Status.NEW):
        if service_request.resolution_target_minutes is not None:
            _start_run(service_request, Clock.RESOLUTION, now)
        service_request.waiting_since = None
    elif new in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
        for clock in CLOCKS:
            _stop_run(service_request, clock, calendar, now)
        service_request.waiting_since = None
    _after_change(service_request, config, before)


def on_first_response(service_request: ServiceRequest, config: SLAConfig, now: datetime) -> None:
    before = _snapshot(service_request)
    calendar = config.calendar(service_request.service_id)
    _fold(service_request, calendar, now)
    _stop_run(service_request, Clock.FIRST_RESPONSE, calendar, now)
    _after_change(service_request, config, before)


# Folding whole seconds can move a due time by a second; that is not a new commitment.
DUE_TOLERANCE = timedelta(seconds=2)


def _moved(before: datetime | None, after: datetime | None) -> bool:
    if before is None or after is None:
        return before is not after
    return abs(before - after) > DUE_TOLERANCE


Snapshot = tuple[datetime | None, datetime | None, datetime | None, str]


def _snapshot(service_request: ServiceRequest) -> Snapshot:
    return (
        service_request.first_response_due_at,
        service_request.resolution_due_at,
        service_request.waiting_since,
        service_request.status,
    )


def _after_change(service_request: ServiceRequest, config: SLAConfig, before: Snapshot | None) -> None:
    """Recompute due times; a new generation when a commitment moved or the status or waiting changed.

    ``before=None`` always starts a new generation (filing).
    """
    _refresh_due(
        service_request,
        config.calendar(service_request.service_id),
        risk_percent(config.policy(service_request.service_id)),
    )
    after = _snapshot(service_request)
    changed = (
        before is None
        or _moved(before[0], after[0])
        or _moved(before[1], after[1])
        or before[2] != after[2]
        or before[3] != after[3]
    )
    if changed:
        service_request.sla_generation += 1
    reschedule(service_request, config)


def open_promises(service_request: ServiceRequest) -> list[FollowUpPromise]:
    if not service_request.pk:
        return []
    return list(service_request.promises.filter(kept_at=None, missed_at=None, withdrawn_at=None))


def reschedule(
    service_request: ServiceRequest, config: SLAConfig, promises: list[FollowUpPromise] | None = None
) -> None:
    """Point ``sla_next_check_at`` at the earliest pending instant, past or future.

    Something already due (a threshold passed by a priority raise) is then
    handled by the next sweep. ``promises=None`` looks them up (one query).
    """
    items = schedule(service_request, config, open_promises(service_request) if promises is None else promises)
    service_request.sla_next_check_at = min((d.instant for d in items), default=None)


def schedule(service_request: ServiceRequest, config: SLAConfig, promises: Iterable[FollowUpPromise]) -> list[Due]:
    """Every instant at which something must happen for this request in its current generation."""
    calendar = config.calendar(service_request.service_id)
    items: list[Due] = []
    policy = config.policy(service_request.service_id)
    thresholds = policy.threshold_list if policy else []
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        return items
    for clock in CLOCKS:
        target_f, used_f, since_f, due_f, breached_f = _fields(clock)
        target, since = getattr(service_request, target_f), getattr(service_request, since_f)
        if target is None or since is None:
            continue
        used = getattr(service_request, used_f)
        passed = 0
        for percent in thresholds:
            at = target * 60 * percent // 100
            if at > used:
                instant = business_time.add_business_time(calendar, since, timedelta(seconds=at - used))
                items.append(Due(instant, NotificationKind.SLA_WARNING, clock, percent, target))
            else:
                passed = percent
        if passed and used < target * 60 and getattr(service_request, breached_f) is None:
            # Already past when the run started (a priority raise shortened the target, or the clock
            # paused before a sweep saw the threshold): due now. Once per target: never a second time.
            items.append(Due(since, NotificationKind.SLA_WARNING, clock, passed, target))
        if getattr(service_request, breached_f) is None and getattr(service_request, due_f) is not None:
            items.append(
                Due(
                    getattr(service_request, due_f),
                    NotificationKind.SLA_BREACH,
                    clock,
                    100,
                    generation=service_request.sla_generation,
                )
            )
    promises = list(promises)
    if not (service_request.status in (Status.WAITING, Status.RESOLVED) or promises):
        return items  # the reminder rule matters only from here on: not read for a request just filed
    rule = config.rule(service_request.department_id)
    if service_request.status == Status.WAITING and service_request.waiting_since is not None:
        since = service_request.waiting_since
        wait = int(since.timestamp()) // 60
        if rule.remind_requester_after_hours:
            hours = rule.remind_requester_after_hours
            instant = business_time.add_business_time(calendar, since, timedelta(hours=hours))
            items.append(Due(instant, NotificationKind.REQUESTER_REMINDER, Clock.WAITING, hours, wait))
        if rule.auto_close_after_days:
            days = rule.auto_close_after_days
            warn_days = days - rule.auto_close_warning_days
            if rule.auto_close_warning_days and warn_days > 0:
                instant = business_time.add_business_time(calendar, since, BUSINESS_DAY * warn_days)
                items.append(Due(instant, NotificationKind.AUTO_CLOSE_WARNING, Clock.WAITING, warn_days, wait))
            instant = business_time.add_business_time(calendar, since, BUSINESS_DAY * days)
            items.append(Due(instant, NotificationKind.AUTO_CLOSED, Clock.WAITING, days, wait))
    # Asking for a rating is the sweep's job, writing the email is the feedback loop's: without an app that
    # writes it (requests_app.extensions), nobody is asked.
    if (
        service_request.status == Status.RESOLVED
        and rule.request_feedback
        and service_request.resolved_at is not None
        and extensions.writes_email(NotificationKind.FEEDBACK_REQUEST)
    ):
        items.append(
            Due(
                service_request.resolved_at,
                NotificationKind.FEEDBACK_REQUEST,
                generation=service_request.sla_generation,
            )
        )
    if service_request.status not in (Status.RESOLVED,):
        for promise in promises:
            if not promise.is_open:
                continue
            remind_at = promise.due_at - timedelta(minutes=rule.promise_reminder_minutes)
            if remind_at > promise.created_at:
                items.append(Due(remind_at, NotificationKind.PROMISE_REMINDER, Clock.PROMISE, 0, promise.pk))
            items.append(Due(promise.due_at, NotificationKind.PROMISE_MISSED, Clock.PROMISE, 0, promise.pk))
    return items


def send_after(due: Due, service_request: ServiceRequest, config: SLAConfig, now: datetime | None = None) -> datetime:
    """Humane timing: staff messages wait for working hours unless the policy is 24/7.

    Counted from when the sweep notices them (``now``), not from when they fell due: a warning due
    Friday 16:00 that a late sweep first sees on Saturday waits for Monday morning too.
    """
    if due.kind in STAFF_KINDS and not config.round_the_clock(service_request.service_id):
        noticed = due.instant if now is None else max(due.instant, now)
        return business_time.next_business_instant(config.calendar(service_request.service_id), noticed)
    return due.instant


def clock_state(
    service_request: ServiceRequest, clock: str, now: datetime, calendar: business_time.Calendar, risk_percent: int = 75
) -> dict[str, object]:
    """What pages show for a clock: state (on_track, at_risk, breached, paused, met, none) and business time left."""
    target_f, used_f, since_f, due_f, breached_f = _fields(clock)
    target = getattr(service_request, target_f)
    if target is None:
        return {"state": "none"}
    breached = getattr(service_request, breached_f)
    due = getattr(service_request, due_f)
    used = getattr(service_request, used_f)
    since = getattr(service_request, since_f)
    if since is None:
        stopped = service_request.first_responded_at if clock == Clock.FIRST_RESPONSE else service_request.resolved_at
        if stopped is not None or service_request.status in (Status.CLOSED, Status.CANCELLED):
            return {"state": "breached_met" if breached else "met", "at": stopped, "breached_at": breached}
        left = timedelta(seconds=max(0, target * 60 - used))
        return {"state": "paused", "left": left, "breached_at": breached}
    left = business_time.business_time_between(calendar, now, due) if due else timedelta(0)
    if breached or (due and due <= now):
        return {"state": "breached", "due": due, "overdue": -left if left < timedelta(0) else timedelta(0)}
    elapsed = used + int(business_time.business_time_between(calendar, since, now).total_seconds())
    at_risk = elapsed * 100 >= target * 60 * risk_percent
    return {"state": "at_risk" if at_risk else "on_track", "due": due, "left": left}


def replay(service_request: ServiceRequest, events: Iterable[object], config: SLAConfig) -> None:
    """Rebuild the clocks from the request's history, as if the engine had watched it happen.

    For data written without the engine (imports, the demo seed with its
    backdated history) and after a calendar or policy change that should
    apply to open requests. ``events`` are the request's ``RequestEvent`` rows.
    """
    timeline = sorted(events, key=lambda e: (e.created_at, e.pk or 0))
    final_priority, final_status = service_request.priority, service_request.status
    service_request.priority = next(
        (e.from_value for e in timeline if e.kind == EventKind.PRIORITY), service_request.priority
    )
    service_request.status = Status.NEW
    service_request.waiting_since = None
    service_request.first_response_breached_at = service_request.resolution_breached_at = None
    service_request.sla_generation = 0
    start_clocks(service_request, config, service_request.created_at)
    responded = service_request.first_responded_at
    status_kinds = {EventKind.STATUS, EventKind.REOPENED, EventKind.RESOLVED, EventKind.CANCELLED}
    for event in timeline:
        if responded is not None and event.created_at >= responded:
            on_first_response(service_request, config, responded)
            responded = None
        if event.kind == EventKind.PRIORITY:
            service_request.priority = event.to_value
            retarget(service_request, config, event.created_at)
        elif (
            event.kind in status_kinds and event.to_value in Status.values and event.to_value != service_request.status
        ):
            old, service_request.status = service_request.status, event.to_value
            on_status_change(service_request, old, event.to_value, config, event.created_at)
    if responded is not None:
        on_first_response(service_request, config, responded)
    service_request.priority, service_request.status = final_priority, final_status
    reschedule(service_request, config)
