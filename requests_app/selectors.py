"""Reads for pages: querysets with their joins and prefetches already applied,
so a page's query count does not grow with its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from departments.models import Department, Service

from . import sla_engine
from .models import ACTIVE_STATUSES, Comment, FollowUpPromise, RequestEvent, ServiceRequest, Status

User = get_user_model()


def catalog_departments(*, search: str = "") -> list[Department]:
    """Active departments with their active services (matching ``search`` in name or description).

    Departments without a matching service are left out while searching.
    Two queries whatever the catalog size.
    """
    services = Service.objects.active().select_related("sla_policy").prefetch_related("sla_policy__targets")
    if search:
        services = services.filter(Q(name__icontains=search) | Q(description__icontains=search))
    departments = (
        Department.objects.filter(is_active=True)
        .select_related("default_sla_policy")
        .prefetch_related(
            "default_sla_policy__targets",
            Prefetch("services", queryset=services.order_by("name"), to_attr="catalog_services"),
        )
    )
    result = list(departments)
    if search:
        result = [d for d in result if d.catalog_services]
    return result


def service_for_filing(pk: int) -> Service:
    """The service with what its page shows: fields, department, SLA targets."""
    return (
        Service.objects.active()
        .select_related("department", "sla_policy", "department__default_sla_policy")
        .prefetch_related("fields", "sla_policy__targets", "department__default_sla_policy__targets")
        .get(pk=pk)
    )


def sla_targets_by_priority(service: Service) -> dict[str, Any]:
    policy = service.effective_sla_policy
    if policy is None:
        return {}
    return {t.priority: t for t in policy.targets.all()}


def my_requests(user: AbstractBaseUser) -> QuerySet[ServiceRequest]:
    return (
        ServiceRequest.objects.filter(requester=user)
        .select_related("service", "department", "assignee")
        .order_by("-updated_at", "-id")
    )


def department_queue(
    *,
    department: Department,
    user: AbstractBaseUser,
    status: str = "",
    assignee: str = "",
    service_id: str = "",
    order_by: tuple[Any, ...] = ("created_at", "id"),
) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.filter(department=department).select_related("service", "requester", "assignee")
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    if assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif assignee == "mine":
        qs = qs.filter(assignee=user)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if service_id:
        qs = qs.filter(service_id=int(service_id))
    return qs.order_by(*order_by)


def department_members(department: Department) -> QuerySet:
    return User.objects.filter(memberships__department=department, is_active=True).order_by("first_name", "username")


def conversation(service_request: ServiceRequest, *, include_internal: bool) -> list[Comment]:
    comments = service_request.comments.select_related("author").prefetch_related("attachments")
    if not include_internal:
        comments = comments.filter(internal=False)
    return list(comments)


def history(service_request: ServiceRequest, *, include_internal: bool) -> list[RequestEvent]:
    events = service_request.events.select_related("actor")
    if not include_internal:
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
    "on_track": "On track",
    "at_risk": "At risk",
    "breached": "Breached",
    "paused": "Paused",
    "met": "Met",
    "breached_met": "Missed",
    "none": "No SLA",
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


def sla_views(requests: list[ServiceRequest], now: datetime | None = None) -> dict[int, dict[str, ClockView]]:
    """Per request: its first-response and resolution clocks, and the one the queue badge shows.

    Loads calendars and policies once for all the requests' services (a
    constant number of queries however many rows).
    """
    now = now or timezone.now()
    if not requests:
        return {}
    config = sla_engine.SLAConfig({sr.service_id for sr in requests})
    views: dict[int, dict[str, ClockView]] = {}
    for sr in requests:
        calendar = config.calendar(sr.service_id)
        policy = config.policy(sr.service_id)
        risk = policy.threshold_list[0] if policy and policy.threshold_list else 75
        clocks = {
            clock: _clock_view(sla_engine.clock_state(sr, clock, now, calendar, risk)) for clock in sla_engine.CLOCKS
        }
        views[sr.pk] = {**clocks, "badge": _badge(sr, clocks)}
    return views


def _badge(sr: ServiceRequest, clocks: dict[str, ClockView]) -> ClockView:
    """The queue's single badge: breached beats paused beats at risk beats on track; nearest due time wins."""
    running = [c for c in clocks.values() if c.state in ("on_track", "at_risk", "breached")]
    if any(c.state == "breached" for c in running):
        return max((c for c in running if c.state == "breached"), key=lambda c: c.overdue or timedelta(0))
    if sr.status == Status.WAITING:
        return ClockView("paused", STATE_LABELS["paused"], left=clocks["resolution"].left)
    if running:
        return min(running, key=lambda c: c.due_at)
    return ClockView("none", "")


def open_promise(sr: ServiceRequest) -> FollowUpPromise | None:
    return (
        sr.promises.filter(kept_at=None, missed_at=None, withdrawn_at=None)
        .select_related("agent")
        .order_by("-created_at")
        .first()
    )
