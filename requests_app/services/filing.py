"""Filing a request: numbering, clocks, assignment rules, the ledger, the search document, the first
notification; all in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import (
    PRIORITY_RANK,
    AssignmentRule,
    Department,
    Membership,
    Priority,
    Profile,
    Role,
    Service,
)

from .. import clocks
from ..models import EventKind, Handoff, NotificationKind, ServiceRequest, Status
from . import notifications
from ._common import attachments_check, person, record, save_attachments
from .search import search_index_request

# Set by sign-in paths that join the profile anyway (services.tokens.api_token_authenticate).
HOME_DEPARTMENT_ATTRIBUTE = "home_department_id"
_UNKNOWN = object()


def requester_department_id(user: AbstractBaseUser) -> int | None:
    """The requester's home department, from their profile (None without one); no query when sign-in
    read it already (API token sign-in sets ``home_department_id`` on the user it returns)."""
    known = getattr(user, HOME_DEPARTMENT_ATTRIBUTE, _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    return Profile.objects.filter(user_id=user.pk).values_list("department_id", flat=True).first()


def rule_assignee(*, department: Department, service: Service) -> tuple[AbstractBaseUser | None, str]:
    """Whom the department's assignment rule gives a new request to, and the rule's name for the history.

    Call inside the filing transaction after the department row is locked (the number increment
    locks it): round robin reads and advances turns, and two filings must not take the same turn.
    Round robin gives the request to the available agent with the lowest turn (ties by membership age;
    leads triage and are not in the line), then moves them to the back of the line, so N requests over K
    agents differ by at most one.
    """
    if department.assignment_rule == AssignmentRule.BY_SERVICE:
        user = service.default_assignee
        if user is not None and user.is_active and Membership.objects.filter(user=user, department=department).exists():
            return user, "by service"
        return None, ""
    if department.assignment_rule == AssignmentRule.ROUND_ROBIN:
        membership = (
            Membership.objects.filter(department=department, role=Role.AGENT, is_available=True, user__is_active=True)
            .select_related("user")
            .order_by("round_robin_turn", "id")
            .first()
        )
        if membership is None:
            return None, ""
        Department.objects.filter(pk=department.pk).update(round_robin_counter=F("round_robin_counter") + 1)
        counter = Department.objects.values_list("round_robin_counter", flat=True).get(pk=department.pk)
        Membership.objects.filter(pk=membership.pk).update(round_robin_turn=counter)
        return membership.user, "round robin"
    return None, ""


def apply_assignment_rule(service_request: ServiceRequest, *, department: Department, service: Service) -> None:
    """Give a new (or newly transferred) request to whom the rule says; it is then open, not new."""
    assignee, rule = rule_assignee(department=department, service=service)
    if assignee is None:
        return
    ServiceRequest.objects.filter(pk=service_request.pk).update(assignee=assignee, status=Status.OPEN)
    service_request.assignee = assignee
    service_request.status = Status.OPEN
    record(
        service_request,
        actor=None,
        kind=EventKind.ASSIGNED,
        from_value="unassigned",
        to_value=f"{person(assignee)} ({rule})",
    )
    record(service_request, actor=None, kind=EventKind.STATUS, from_value=Status.NEW, to_value=Status.OPEN)


def handoff_open(
    service_request: ServiceRequest, *, now: datetime, by: AbstractBaseUser | None = None, reason: str = ""
) -> Handoff:
    return Handoff.objects.create(
        request=service_request,
        department_id=service_request.department_id,
        service_id=service_request.service_id,
        started_at=now,
        reason=reason,
        by=by,
    )


def _next_number(department_id: int) -> tuple[int, str, str]:
    """Take the department's next request number (locking its row until commit); with its prefix and rule."""
    table = Department._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_request_number = last_request_number + 1 WHERE id = %s "  # noqa: S608
            "RETURNING last_request_number, reference_prefix, assignment_rule",
            [department_id],
        )
        number, prefix, rule = cursor.fetchone()
    return number, prefix, rule


def request_file(
    *,
    service: Service,
    requester: AbstractBaseUser,
    title: str,
    values: Mapping[str, Any],
    files: Iterable[tuple[str, UploadedFile]] = (),
    urgency: str | None = None,
    priority: str | None = None,
    config: clocks.SLAConfig | None = None,
) -> ServiceRequest:
    """File a request against an active service; ``values`` are already validated by the service's form.

    ``urgency``: what the requester stated (the web form's "Urgency", the API's ``priority``); it becomes the
    priority only where the service lets requesters state it and up to its limit
    (``Service.requester_priorities``), else a ``ValidationError`` on ``priority`` before anything is
    written. Without it the service's default priority applies. ``priority``: the department's own choice,
    for callers that act for the department (imports, tests), never what a requester sent.

    The reference number comes from an increment of the department row inside this transaction
    (``UPDATE ... RETURNING``), so concurrent filings serialise on that row and never share a number;
    the assignment rule runs under the same lock. ``config``: the SLA configuration of ``service`` when
    the caller read the service with ``clocks.SERVICE_JOINS`` (views do; the API keeps it under the
    catalog's configuration stamp, ``selectors.filing_configuration``); else it is read here.
    """
    if not service.is_active or not service.department.is_active:
        raise ValidationError(_("This service is not available any more."))
    if urgency and urgency not in service.requester_priorities:
        raise ValidationError({"priority": service.requester_priority_rule()})
    priority = priority or urgency or service.default_priority
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority %(priority)r.") % {"priority": priority}})
    files = list(files)
    attachments_check(service_request=None, files=files, field="files")
    now = timezone.now()
    config = config or clocks.SLAConfig([service.pk])  # read fresh: a passed service may predate a change
    home_department_id = requester_department_id(requester)
    with transaction.atomic():
        number, prefix, rule = _next_number(service.department_id)
        service_request = ServiceRequest(
            service=service,
            department=service.department,
            number=number,
            reference=f"{prefix}-{number}",
            requester=requester,
            requester_department_id=home_department_id,
            title=title.strip(),
            values=dict(values),
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            created_at=now,
            updated_at=now,
        )
        clocks.start_clocks(service_request, config, now)
        service_request.save(force_insert=True)
        save_attachments(service_request, files=files, uploaded_by=requester)
        record(service_request, actor=requester, kind=EventKind.FILED, to_value=service_request.reference)
        handoff_open(service_request, now=now)
        search_index_request(
            request_id=service_request.pk,
            reference=service_request.reference,
            title=service_request.title,
            values=service_request.values,
        )
        if rule != AssignmentRule.MANUAL:
            department = Department.objects.get(pk=service.department_id)
            apply_assignment_rule(service_request, department=department, service=service)
        notifications.notification_create(request_id=service_request.pk, kind=NotificationKind.REQUEST_FILED, now=now)
    return service_request
