"""Reads for a request's page and for "My requests": the request, its conversation, history and clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DurationField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.models import Service
from requests_app.models import (
    Attachment,
    Comment,
    FollowUpPromise,
    Handoff,
    RequestEvent,
    ServiceRequest,
    Status,
    Watcher,
)

from .. import clocks, extensions
from ..permissions import get_request_for_user, notes_visible_q

User = get_user_model()


def watched_requests(user: AbstractBaseUser) -> QuerySet[ServiceRequest]:
    """Requests a colleague asked this person to follow."""
    return (
        ServiceRequest.objects.filter(watchers__user=user)
        .select_related("service", "department", "assignee", "requester")
        .order_by("-updated_at", "-id")
    )


def my_requests(user: AbstractBaseUser) -> QuerySet[ServiceRequest]:
    return (
        ServiceRequest.objects.filter(requester=user)
        .select_related("service", "department", "assignee")
        .order_by("-updated_at", "-id")
    )


def conversation(
    service_request: ServiceRequest, *, include_internal: bool, attachments: list[Attachment] | None = None
) -> list[Comment]:
    """The comments, each with ``files``: its attachments, taken from ``attachments`` (the request's,
    already loaded for the page) or read in one more query.

    ``include_internal`` is for the holding department's agents: they read their own internal notes and
    those another department shared with them on a transfer, never the rest (``notes_visible_q``).
    """
    comments = service_request.comments.select_related("author", "department")
    if include_internal:
        comments = comments.filter(notes_visible_q(service_request.department_id))
    else:
        comments = comments.filter(internal=False)
    result = list(comments)
    if attachments is None:
        attachments = list(Attachment.objects.filter(request=service_request, comment__isnull=False))
    by_comment: dict[int, list[Attachment]] = {}
    for attachment in attachments:
        if attachment.comment_id is not None:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    for comment in result:
        comment.files = by_comment.get(comment.pk, [])
    return result


@dataclass(frozen=True)
class NotesToShare:
    """What a transfer could share: the internal notes the holding department reads, and their files."""

    notes: int
    files: int

    def __bool__(self) -> bool:
        return self.notes > 0


def notes_to_share(service_request: ServiceRequest) -> NotesToShare:
    """One aggregate: the transfer page says what stays behind unless shared."""
    notes = Comment.objects.filter(request=service_request, internal=True).filter(
        notes_visible_q(service_request.department_id)
    )
    counts = notes.aggregate(notes=Count("pk", distinct=True), files=Count("attachments", distinct=True))
    return NotesToShare(notes=counts["notes"], files=counts["files"])


def history(service_request: ServiceRequest, *, include_internal: bool) -> list[RequestEvent]:
    """The request's events; ``include_internal`` adds the internal ones of the stretches the holding
    department held it (an earlier department's internal events stay with that department, like its
    notes). Who held the request at an event's time is read from the handoff ledger in the same query.
    """
    events = service_request.events.select_related("actor")
    if include_internal:
        held_by = Subquery(
            Handoff.objects.filter(request=OuterRef("request"), started_at__lte=OuterRef("created_at"))
            .order_by("-started_at", "-id")
            .values("department_id")[:1]
        )
        events = events.annotate(held_by=held_by).filter(
            Q(internal=False) | Q(held_by=service_request.department_id) | Q(held_by__isnull=True)
        )
    else:
        events = events.filter(internal=False)
    return list(events)


@dataclass(frozen=True)
class ClockView:
    """What a page shows of one request's SLA: a badge and the business time left (or overdue)."""

    state: str  # on_track, at_risk, breached, paused, met, none
    label: str
    due_at: datetime | None = None
    left: timedelta | None = None
    overdue: timedelta | None = None


STATE_LABELS = {
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "breached": _("Breached"),
    "paused": _("Paused"),
    # Translators: an SLA clock that stopped in time.
    "met": _("Met"),
    # Translators: an SLA clock that stopped after its due time.
    "breached_met": _("Missed"),
    "none": _("No SLA"),
}


def _clock_view(state: dict[str, Any]) -> ClockView:
    name = str(state["state"])
    return ClockView(
        state=name,
        label=STATE_LABELS[name],
        due_at=state.get("due"),
        left=state.get("left"),
        overdue=state.get("overdue"),
    )


def sla_views(
    requests: list[ServiceRequest],
    now: datetime | None = None,
    *,
    services: list[Service] | None = None,
    config: clocks.SLAConfig | None = None,
) -> dict[int, dict[str, ClockView]]:
    """Per request: its first-response and resolution clocks, and the one the queue badge shows.

    Loads calendars and policies once for all the requests' services (a
    constant number of queries however many rows); none at all when the caller passes the
    requests' ``services`` read with ``clocks.SERVICE_JOINS``, or a ``config`` that holds them
    (a kept one also keeps its calendars' worked-out days).
    """
    now = now or timezone.now()
    if not requests:
        return {}
    if config is None:
        config = (
            clocks.SLAConfig({service_request.service_id for service_request in requests})
            if services is None
            else clocks.SLAConfig(services=services)
        )
    views: dict[int, dict[str, ClockView]] = {}
    for service_request in requests:
        calendar = config.calendar(service_request.service_id)
        policy = config.policy(service_request.service_id)
        risk = clocks.risk_percent(policy)
        by_clock = {
            clock: _clock_view(clocks.clock_state(service_request, clock, now, calendar, risk))
            for clock in clocks.CLOCKS
        }
        views[service_request.pk] = {**by_clock, "badge": _badge(service_request, by_clock)}
    return views


def _badge(service_request: ServiceRequest, clocks: dict[str, ClockView]) -> ClockView:
    """The queue's single badge: breached beats paused beats at risk beats on track; nearest due time wins.

    Mirrors ``selectors.queue.sla_state_q``, which filters on the same states in SQL.
    """
    running = [c for c in clocks.values() if c.state in ("on_track", "at_risk", "breached")]
    if any(c.state == "breached" for c in running):
        return max((c for c in running if c.state == "breached"), key=lambda c: c.overdue or timedelta(0))
    if service_request.status == Status.WAITING:
        return ClockView("paused", STATE_LABELS["paused"], left=clocks["resolution"].left)
    at_risk = [c for c in running if c.state == "at_risk"]
    if at_risk:
        return min(at_risk, key=lambda c: c.due_at)
    if running:
        return min(running, key=lambda c: c.due_at)
    return ClockView("none", "")


@dataclass(frozen=True)
class PromiseView:
    """The open promised update as pages show it."""

    due_at: datetime
    agent_name: str


def _open_promises() -> QuerySet[FollowUpPromise]:
    return FollowUpPromise.objects.filter(
        request=OuterRef("pk"), kept_at=None, missed_at=None, withdrawn_at=None
    ).order_by("-created_at")


def with_open_promise(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """Annotate the open promise (its time and who made it) into the request's own query."""
    promises = _open_promises()
    return qs.annotate(
        promise_due_at=Subquery(promises.values("due_at")[:1]),
        promise_agent_first=Subquery(promises.values("agent__first_name")[:1]),
        promise_agent_last=Subquery(promises.values("agent__last_name")[:1]),
        promise_agent_username=Subquery(promises.values("agent__username")[:1]),
    )


def open_promise(service_request: ServiceRequest) -> PromiseView | None:
    """From ``with_open_promise``'s annotations when present, else one query."""
    if hasattr(service_request, "promise_due_at"):
        if service_request.promise_due_at is None:
            return None
        name = f"{service_request.promise_agent_first or ''} {service_request.promise_agent_last or ''}".strip()
        return PromiseView(service_request.promise_due_at, name or service_request.promise_agent_username or "")
    promise = service_request.promises.filter(kept_at=None, missed_at=None, withdrawn_at=None).select_related("agent")
    found = promise.order_by("-created_at").first()
    if found is None:
        return None
    return PromiseView(found.due_at, found.agent.get_full_name() or found.agent.get_username())


def request_for_page(user: AbstractBaseUser, reference: str) -> ServiceRequest:
    """The request a page (or the API) shows, if ``user`` may see it (else 404), in one query with what
    its clocks need joined, its open promise annotated, and its form fields and attachments prefetched."""
    qs = ServiceRequest.objects.select_related(
        "department", "requester", "assignee", *extensions.request_page_joins(), *clocks.service_joins("service__")
    ).prefetch_related("service__fields", "attachments")
    return get_request_for_user(user, reference, with_open_promise(qs))


def watchers(service_request: ServiceRequest) -> list[Watcher]:
    return list(service_request.watchers.select_related("user").order_by("created_at", "id"))


@dataclass(frozen=True)
class HeldStretch:
    """A row of the handoff ledger as the request page shows it."""

    handoff: Handoff
    held: timedelta


def handoff_ledger(service_request: ServiceRequest, now: datetime | None = None) -> list[HeldStretch]:
    """Who held the request when, and for how long (wall-clock time; the open stretch up to now)."""
    now = now or timezone.now()
    rows = service_request.handoffs.select_related("department", "service", "by").order_by("started_at", "id")
    return [HeldStretch(h, (h.ended_at or now) - h.started_at) for h in rows]


def time_held_by_department(
    *, since: datetime, until: datetime, department_ids: list[int] | None = None
) -> dict[int, timedelta]:
    """Per department: how long it held requests between ``since`` and ``until``, summed over the ledger.

    One aggregate over the handoffs that overlap the window (indexed by department and start), each
    clipped to the window; an open stretch counts up to ``until``.
    """
    overlapping = Handoff.objects.filter(started_at__lt=until).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since))
    if department_ids is not None:
        overlapping = overlapping.filter(department_id__in=department_ids)
    clipped = ExpressionWrapper(
        Least(Coalesce("ended_at", Value(until)), Value(until)) - Greatest("started_at", Value(since)),
        output_field=DurationField(),
    )
    rows = overlapping.values("department_id").annotate(held=Sum(clipped)).order_by("department_id")
    return {row["department_id"]: row["held"] or timedelta(0) for row in rows}
