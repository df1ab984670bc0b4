"""The workflow: claim, assign, status changes, resolve, cancel, priority."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import PRIORITY_RANK, Priority
from departments.permissions import is_lead, is_member

from .. import clocks
from ..models import (
    EventKind,
    NotificationKind,
    ServiceRequest,
    Status,
)
from . import notifications
from ._common import ALLOWED_TRANSITIONS, TransitionNotAllowed, person, record, require_worker, update_exactly_one
from .conversation import check_reopen_window, keep_promises


def request_claim(*, service_request: ServiceRequest, by: AbstractBaseUser) -> ServiceRequest:
    """An agent takes the request; a new request becomes open."""
    return request_assign(service_request=service_request, assignee=by, by=by)


def request_assign(
    *, service_request: ServiceRequest, assignee: AbstractBaseUser | None, by: AbstractBaseUser
) -> ServiceRequest:
    """Assign (or unassign with ``None``). Agents may only take requests themselves; leads assign anyone."""
    require_worker(by, service_request)
    assigning_other = assignee is None or assignee.pk != by.pk
    if assigning_other and not is_lead(by, service_request.department_id):
        raise PermissionDenied(_("Only a lead of this department can assign requests to others."))
    if assignee is not None and not is_member(assignee, service_request.department_id):
        raise ValidationError({"assignee": _("The assignee must be an agent or lead of this department.")})
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        raise TransitionNotAllowed(_("A closed or cancelled request cannot be reassigned."))
    old_assignee = service_request.assignee
    if (old_assignee.pk if old_assignee else None) == (assignee.pk if assignee else None):
        return service_request
    with transaction.atomic():
        changes: dict[str, Any] = {"assignee": assignee}
        old_status = service_request.status
        if old_status == Status.NEW and assignee is not None:
            changes["status"] = Status.OPEN
        update_exactly_one(service_request, expected_status=old_status, **changes)
        record(
            service_request,
            actor=by,
            kind=EventKind.ASSIGNED,
            from_value=person(old_assignee),
            to_value=person(assignee),
        )
        if "status" in changes:
            record(service_request, actor=by, kind=EventKind.STATUS, from_value=old_status, to_value=Status.OPEN)
    return service_request


def request_change_status(
    *, service_request: ServiceRequest, to_status: str, by: AbstractBaseUser, note: str = ""
) -> ServiceRequest:
    """Move along the workflow. Resolving needs a resolution note; cancelling by the requester is allowed."""
    if to_status not in Status.values:
        raise TransitionNotAllowed(_("Unknown status %(status)r.") % {"status": to_status})
    if to_status == Status.RESOLVED:
        return request_resolve(service_request=service_request, by=by, resolution_note=note)
    if to_status == Status.CANCELLED and service_request.requester_id == by.pk:
        return request_cancel(service_request=service_request, by=by)
    require_worker(by, service_request)
    old = service_request.status
    if to_status not in ALLOWED_TRANSITIONS[old]:
        raise TransitionNotAllowed(
            # Translators: both are statuses in lower case: "A request that is closed cannot become open."
            _("A request that is %(from)s cannot become %(to)s.")
            % {"from": Status(old).label.lower(), "to": Status(to_status).label.lower()}
        )
    changes: dict[str, Any] = {"status": to_status}
    kind = EventKind.STATUS
    if old == Status.RESOLVED and to_status == Status.OPEN:
        check_reopen_window(service_request)
        changes["resolved_at"] = None
        kind = EventKind.REOPENED
    if to_status == Status.CLOSED:
        changes["closed_at"] = timezone.now()
    if to_status == Status.CANCELLED:
        changes["closed_at"] = timezone.now()
        kind = EventKind.CANCELLED
    with transaction.atomic():
        update_exactly_one(service_request, expected_status=old, **changes)
        record(service_request, actor=by, kind=kind, from_value=old, to_value=to_status)
    return service_request


def request_resolve(*, service_request: ServiceRequest, by: AbstractBaseUser, resolution_note: str) -> ServiceRequest:
    """Resolve with a note the requester reads; the requester is told by email.

    Without an earlier public reply, the resolution is also the first response.
    """
    require_worker(by, service_request)
    old = service_request.status
    if Status.RESOLVED not in ALLOWED_TRANSITIONS[old]:
        raise TransitionNotAllowed(
            # Translators: %(status)s is the request's status in lower case.
            _("A request that is %(status)s cannot be resolved.") % {"status": Status(old).label.lower()}
        )
    resolution_note = resolution_note.strip()
    if not resolution_note:
        raise ValidationError({"resolution_note": _("Say how the request was resolved; the requester reads this.")})
    now = timezone.now()
    changes = {"status": Status.RESOLVED, "resolved_at": now, "resolution_note": resolution_note, "updated_at": now}
    if service_request.first_responded_at is None:
        # The resolution note is the department's first public answer: reports count it as the first
        # response (on time or late, as its clock says), not as a request that never got one.
        changes["first_responded_at"] = now
    with transaction.atomic():
        update_exactly_one(service_request, expected_status=old, **changes)
        record(service_request, actor=by, kind=EventKind.RESOLVED, from_value=old, to_value=Status.RESOLVED)
        keep_promises(service_request, now=now, by=by)  # the resolution note is the promised update
        notifications.notification_create(
            request_id=service_request.pk,
            kind=NotificationKind.REQUEST_RESOLVED,
            generation=service_request.sla_generation,
            now=now,
        )
    return service_request


def request_cancel(*, service_request: ServiceRequest, by: AbstractBaseUser) -> ServiceRequest:
    """The requester (or the department) withdraws a request that is not resolved yet."""
    if service_request.requester_id != by.pk:
        require_worker(by, service_request)
    old = service_request.status
    if old not in (Status.NEW, Status.OPEN, Status.WAITING):
        raise TransitionNotAllowed(
            # Translators: %(status)s is the request's status in lower case.
            _("A request that is %(status)s cannot be cancelled.") % {"status": Status(old).label.lower()}
        )
    with transaction.atomic():
        update_exactly_one(service_request, expected_status=old, status=Status.CANCELLED, closed_at=timezone.now())
        record(service_request, actor=by, kind=EventKind.CANCELLED, from_value=old, to_value=Status.CANCELLED)
    return service_request


def request_change_priority(*, service_request: ServiceRequest, priority: str, by: AbstractBaseUser) -> ServiceRequest:
    require_worker(by, service_request)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority %(priority)r.") % {"priority": priority}})
    old = service_request.priority
    if old == priority:
        return service_request
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        raise TransitionNotAllowed(_("The priority of a closed or cancelled request cannot change."))
    with transaction.atomic():
        update_exactly_one(
            service_request,
            expected_status=service_request.status,
            expected={"priority": old},
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
        )
        record(service_request, actor=by, kind=EventKind.PRIORITY, from_value=old, to_value=priority)
    return service_request


def request_auto_close(
    *, service_request: ServiceRequest, now: datetime, config: clocks.SLAConfig | None = None
) -> bool:
    """Close a request that waited on its requester past the reminder rule's silence (the SLA sweep).

    A conditional UPDATE on "waiting": a requester who answered meanwhile reopened it, and then nothing
    changes (False). Safe to run twice: the second finds it closed already.
    """
    closed = ServiceRequest.objects.filter(pk=service_request.pk, status=Status.WAITING).update(
        status=Status.CLOSED, closed_at=now, updated_at=now
    )
    if closed != 1:
        return False
    service_request.status = Status.CLOSED
    config = config or clocks.SLAConfig([service_request.service_id])
    clocks.on_status_change(service_request, Status.WAITING, Status.CLOSED, config, now)
    service_request.save(update_fields=clocks.CLOCK_FIELDS)
    record(service_request, actor=None, kind=EventKind.STATUS, from_value=Status.WAITING, to_value=Status.CLOSED)
    return True
