"""Reads for pages: querysets with their joins and prefetches already applied,
so a page's query count does not grow with its rows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from departments.models import Department, Service

from .models import ACTIVE_STATUSES, Comment, RequestEvent, ServiceRequest

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
    order_by: tuple[str, ...] = ("created_at", "id"),
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
