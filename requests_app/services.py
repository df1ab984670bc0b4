"""Every write to service requests, each recording its ``RequestEvent``.

Invariants kept here and nowhere else:
- status changes follow ``ALLOWED_TRANSITIONS``; anything else raises
  ``TransitionNotAllowed`` and changes nothing;
- a status change is a conditional UPDATE on the status the caller saw, so two
  people acting at once cannot both win: the loser gets ``ConcurrentChange``;
- notifications are outbox rows written in the same transaction; their
  delivery is enqueued with ``transaction.on_commit`` and a broker failure is
  logged, never raised to the person who filed or replied (the SLA sweep
  hands out whatever was not delivered);
- SLA clocks move with every status and priority change (``_move_clocks``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from departments.models import PRIORITY_RANK, Department, Priority, Service
from departments.permissions import is_lead, is_member

from . import notifications, sla_engine
from .models import (
    Attachment,
    Comment,
    EventKind,
    FollowUpPromise,
    NotificationKind,
    RequestEvent,
    ServiceRequest,
    Status,
)

logger = logging.getLogger(__name__)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CANCELLED}),
    Status.OPEN: frozenset({Status.WAITING, Status.RESOLVED, Status.CANCELLED}),
    Status.WAITING: frozenset({Status.OPEN, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class TransitionNotAllowed(ValidationError):
    """The requested status change is not part of the workflow from the current status."""


class ConcurrentChange(Exception):
    """Someone else changed the request between reading and writing; reload and retry."""


def _record(
    service_request: ServiceRequest,
    *,
    actor: AbstractBaseUser | None,
    kind: str,
    from_value: str = "",
    to_value: str = "",
    internal: bool = False,
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=service_request,
        actor=actor,
        kind=kind,
        from_value=str(from_value)[:200],
        to_value=str(to_value)[:200],
        internal=internal,
    )


def _save_attachments(
    service_request: ServiceRequest,
    *,
    files: Iterable[tuple[str, UploadedFile]],
    uploaded_by: AbstractBaseUser,
    comment: Comment | None = None,
) -> list[Attachment]:
    saved = []
    for field_name, upload in files:
        attachment = Attachment(
            request=service_request,
            comment=comment,
            field_name=field_name,
            original_name=(upload.name or "file")[:255],
            size=upload.size or 0,
            content_type=(getattr(upload, "content_type", "") or "")[:120],
            uploaded_by=uploaded_by,
        )
        attachment.file.save(upload.name or "file", upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def _update_exactly_one(
    service_request: ServiceRequest,
    *,
    expected_status: str,
    expected: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Apply ``changes`` only if the request still has the status (and ``expected`` values) the caller saw."""
    changes.setdefault("updated_at", timezone.now())
    updated = ServiceRequest.objects.filter(pk=service_request.pk, status=expected_status, **(expected or {})).update(
        **changes
    )
    if updated != 1:
        raise ConcurrentChange("This request was changed by someone else meanwhile. Reload the page and try again.")
    before = (
        service_request.first_response_due_at,
        service_request.resolution_due_at,
        service_request.waiting_since,
        expected_status,
    )
    for field, value in changes.items():
        setattr(service_request, field, value)
    _move_clocks(service_request, expected_status=expected_status, changes=changes, before=before)


def _move_clocks(
    service_request: ServiceRequest,
    *,
    expected_status: str,
    changes: dict[str, Any],
    before: sla_engine.Snapshot,
) -> None:
    """The SLA side of a status or priority change, saved in the same transaction (the row is locked)."""
    status_changed = "status" in changes and changes["status"] != expected_status
    if not status_changed and "priority" not in changes:
        return
    now = changes["updated_at"]
    config = sla_engine.SLAConfig([service_request.service_id])
    if status_changed:
        sla_engine.on_status_change(service_request, expected_status, changes["status"], config, now, before)
    if "priority" in changes:
        sla_engine.retarget(service_request, config, now)
    _save_clocks(service_request)


def _save_clocks(service_request: ServiceRequest) -> None:
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        **{name: getattr(service_request, name) for name in sla_engine.CLOCK_FIELDS}
    )


def _require_worker(user: AbstractBaseUser, service_request: ServiceRequest) -> None:
    if not is_member(user, service_request.department_id):
        raise PermissionDenied("Only agents and leads of this department can do that.")


def request_file(
    *,
    service: Service,
    requester: AbstractBaseUser,
    title: str,
    values: Mapping[str, Any],
    files: Iterable[tuple[str, UploadedFile]] = (),
    priority: str | None = None,
) -> ServiceRequest:
    """File a request against an active service; ``values`` are already validated by the service's form.

    The reference number comes from a conditional increment on the department
    row inside this transaction, so concurrent filings serialise on that row and
    never share a number.
    """
    if not service.is_active or not service.department.is_active:
        raise ValidationError("This service is not available any more.")
    priority = priority or service.default_priority
    if priority not in Priority.values:
        raise ValidationError({"priority": f"Unknown priority {priority!r}."})
    now = timezone.now()
    config = sla_engine.SLAConfig([service.pk])
    with transaction.atomic():
        Department.objects.filter(pk=service.department_id).update(last_request_number=F("last_request_number") + 1)
        department = Department.objects.only("reference_prefix", "last_request_number").get(pk=service.department_id)
        number = department.last_request_number
        service_request = ServiceRequest(
            service=service,
            department_id=service.department_id,
            number=number,
            reference=f"{department.reference_prefix}-{number}",
            requester=requester,
            title=title.strip(),
            values=dict(values),
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            created_at=now,
            updated_at=now,
        )
        sla_engine.start_clocks(service_request, config, now)
        service_request.save(force_insert=True)
        _save_attachments(service_request, files=files, uploaded_by=requester)
        _record(service_request, actor=requester, kind=EventKind.FILED, to_value=service_request.reference)
        notifications.notification_create(request_id=service_request.pk, kind=NotificationKind.REQUEST_FILED, now=now)
    return service_request


def comment_add(
    *,
    service_request: ServiceRequest,
    author: AbstractBaseUser,
    body: str,
    internal: bool = False,
    files: Iterable[tuple[str, UploadedFile]] = (),
) -> Comment:
    """Add a public reply or an internal note.

    A department's first public reply stops the first-response clock. The
    requester's reply while we wait on them reopens the request; their reply
    to a resolved request reopens it within the reopen window.
    """
    staff = is_member(author, service_request.department_id)
    requester = service_request.requester_id == author.pk
    if not staff and not requester:
        raise PermissionDenied("You cannot comment on this request.")
    if internal and not staff:
        raise PermissionDenied("Only agents and leads can add internal notes.")
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        raise TransitionNotAllowed(
            f"This request is {service_request.get_status_display().lower()}; file a new request instead."
        )
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    with transaction.atomic():
        if not internal and requester and service_request.status in (Status.WAITING, Status.RESOLVED):
            # The requester answered: the request needs us again.
            _reopen_or_resume(service_request, by=author)
        comment = Comment.objects.create(request=service_request, author=author, body=body, internal=internal)
        _save_attachments(service_request, files=files, uploaded_by=author, comment=comment)
        now = comment.created_at
        changes: dict[str, Any] = {"updated_at": now}
        first_response = staff and not internal and service_request.first_responded_at is None and not requester
        if first_response:
            changes["first_responded_at"] = now
        ServiceRequest.objects.filter(pk=service_request.pk).update(**changes)
        for field, value in changes.items():
            setattr(service_request, field, value)
        _record(
            service_request,
            actor=author,
            kind=EventKind.NOTE if internal else EventKind.REPLY,
            internal=internal,
        )
        if staff and not internal and not requester:
            kept = _keep_promises(service_request, now=now, by=author)
            if first_response or kept:
                config = sla_engine.SLAConfig([service_request.service_id])
                if first_response:
                    sla_engine.on_first_response(service_request, config, now)
                else:
                    sla_engine.reschedule(service_request, config)
                _save_clocks(service_request)
        if not internal:
            notifications.notification_create(
                request_id=service_request.pk, kind=NotificationKind.PUBLIC_REPLY, subject_id=comment.pk, now=now
            )
    return comment


def _keep_promises(service_request: ServiceRequest, *, now: Any, by: AbstractBaseUser) -> int:
    """A public reply before a promised time keeps every open promise on the request."""
    kept = FollowUpPromise.objects.filter(
        request=service_request, kept_at=None, missed_at=None, withdrawn_at=None, due_at__gte=now
    ).update(kept_at=now)
    if kept:
        _record(service_request, actor=by, kind=EventKind.PROMISE_KEPT)
    return kept


def promise_make(
    *, service_request: ServiceRequest, by: AbstractBaseUser, due_at: Any, now: Any = None
) -> FollowUpPromise:
    """An agent promises the requester an update by ``due_at``; earlier open promises are replaced."""
    _require_worker(by, service_request)
    now = now or timezone.now()
    if due_at <= now:
        raise ValidationError({"due_at": "A promise must be for a time in the future."})
    if service_request.status not in (Status.NEW, Status.OPEN, Status.WAITING):
        raise TransitionNotAllowed("Updates can only be promised on requests that are still being worked on.")
    with transaction.atomic():
        FollowUpPromise.objects.filter(request=service_request, kept_at=None, missed_at=None, withdrawn_at=None).update(
            withdrawn_at=now
        )
        promise = FollowUpPromise.objects.create(request=service_request, agent=by, due_at=due_at)
        _record(
            service_request,
            actor=by,
            kind=EventKind.PROMISE_MADE,
            to_value=timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
        )
        config = sla_engine.SLAConfig([service_request.service_id])
        sla_engine.reschedule(service_request, config)
        _save_clocks(service_request)
    return promise


def _reopen_or_resume(service_request: ServiceRequest, *, by: AbstractBaseUser) -> None:
    if service_request.status == Status.RESOLVED:
        _check_reopen_window(service_request)
        old = service_request.status
        _update_exactly_one(service_request, expected_status=old, status=Status.OPEN, resolved_at=None)
        _record(service_request, actor=by, kind=EventKind.REOPENED, from_value=old, to_value=Status.OPEN)
    else:
        old = service_request.status
        _update_exactly_one(service_request, expected_status=old, status=Status.OPEN)
        _record(service_request, actor=by, kind=EventKind.STATUS, from_value=old, to_value=Status.OPEN)


def _check_reopen_window(service_request: ServiceRequest) -> None:
    window = timedelta(days=settings.REOPEN_WINDOW_DAYS)
    if service_request.resolved_at and timezone.now() - service_request.resolved_at > window:
        raise TransitionNotAllowed(
            f"This request was resolved more than {settings.REOPEN_WINDOW_DAYS} days ago and can no longer be "
            "reopened; file a new request instead."
        )


def request_claim(*, service_request: ServiceRequest, by: AbstractBaseUser) -> ServiceRequest:
    """An agent takes the request; a new request becomes open."""
    return request_assign(service_request=service_request, assignee=by, by=by)


def request_assign(
    *, service_request: ServiceRequest, assignee: AbstractBaseUser | None, by: AbstractBaseUser
) -> ServiceRequest:
    """Assign (or unassign with ``None``). Agents may only take requests themselves; leads assign anyone."""
    _require_worker(by, service_request)
    assigning_other = assignee is None or assignee.pk != by.pk
    if assigning_other and not is_lead(by, service_request.department_id):
        raise PermissionDenied("Only a lead of this department can assign requests to others.")
    if assignee is not None and not is_member(assignee, service_request.department_id):
        raise ValidationError({"assignee": "The assignee must be an agent or lead of this department."})
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        raise TransitionNotAllowed("A closed or cancelled request cannot be reassigned.")
    old_assignee = service_request.assignee
    if (old_assignee.pk if old_assignee else None) == (assignee.pk if assignee else None):
        return service_request
    with transaction.atomic():
        changes: dict[str, Any] = {"assignee": assignee}
        old_status = service_request.status
        if old_status == Status.NEW and assignee is not None:
            changes["status"] = Status.OPEN
        _update_exactly_one(service_request, expected_status=old_status, **changes)
        _record(
            service_request,
            actor=by,
            kind=EventKind.ASSIGNED,
            from_value=_person(old_assignee),
            to_value=_person(assignee),
        )
        if "status" in changes:
            _record(service_request, actor=by, kind=EventKind.STATUS, from_value=old_status, to_value=Status.OPEN)
    return service_request


def _person(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "unassigned"
    return user.get_full_name() or user.get_username()


def request_change_status(
    *, service_request: ServiceRequest, to_status: str, by: AbstractBaseUser, note: str = ""
) -> ServiceRequest:
    """Move along the workflow. Resolving needs a resolution note; cancelling by the requester is allowed."""
    if to_status not in Status.values:
        raise TransitionNotAllowed(f"Unknown status {to_status!r}.")
    if to_status == Status.RESOLVED:
        return request_resolve(service_request=service_request, by=by, resolution_note=note)
    if to_status == Status.CANCELLED and service_request.requester_id == by.pk:
        return request_cancel(service_request=service_request, by=by)
    _require_worker(by, service_request)
    old = service_request.status
    if to_status not in ALLOWED_TRANSITIONS[old]:
        raise TransitionNotAllowed(
            f"A request that is {Status(old).label.lower()} cannot become {Status(to_status).label.lower()}."
        )
    changes: dict[str, Any] = {"status": to_status}
    kind = EventKind.STATUS
    if old == Status.RESOLVED and to_status == Status.OPEN:
        _check_reopen_window(service_request)
        changes["resolved_at"] = None
        kind = EventKind.REOPENED
    if to_status == Status.CLOSED:
        changes["closed_at"] = timezone.now()
    if to_status == Status.CANCELLED:
        changes["closed_at"] = timezone.now()
        kind = EventKind.CANCELLED
    with transaction.atomic():
        _update_exactly_one(service_request, expected_status=old, **changes)
        _record(service_request, actor=by, kind=kind, from_value=old, to_value=to_status)
    return service_request


def request_resolve(*, service_request: ServiceRequest, by: AbstractBaseUser, resolution_note: str) -> ServiceRequest:
    """Resolve with a note the requester reads; the requester is told by email."""
    _require_worker(by, service_request)
    old = service_request.status
    if Status.RESOLVED not in ALLOWED_TRANSITIONS[old]:
        raise TransitionNotAllowed(f"A request that is {Status(old).label.lower()} cannot be resolved.")
    resolution_note = resolution_note.strip()
    if not resolution_note:
        raise ValidationError({"resolution_note": "Say how the request was resolved; the requester reads this."})
    now = timezone.now()
    with transaction.atomic():
        _update_exactly_one(
            service_request,
            expected_status=old,
            status=Status.RESOLVED,
            resolved_at=now,
            resolution_note=resolution_note,
            updated_at=now,
        )
        _record(service_request, actor=by, kind=EventKind.RESOLVED, from_value=old, to_value=Status.RESOLVED)
        _keep_promises(service_request, now=now, by=by)  # the resolution note is the promised update
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
        _require_worker(by, service_request)
    old = service_request.status
    if old not in (Status.NEW, Status.OPEN, Status.WAITING):
        raise TransitionNotAllowed(f"A request that is {Status(old).label.lower()} cannot be cancelled.")
    with transaction.atomic():
        _update_exactly_one(service_request, expected_status=old, status=Status.CANCELLED, closed_at=timezone.now())
        _record(service_request, actor=by, kind=EventKind.CANCELLED, from_value=old, to_value=Status.CANCELLED)
    return service_request


def request_change_priority(*, service_request: ServiceRequest, priority: str, by: AbstractBaseUser) -> ServiceRequest:
    _require_worker(by, service_request)
    if priority not in Priority.values:
        raise ValidationError({"priority": f"Unknown priority {priority!r}."})
    old = service_request.priority
    if old == priority:
        return service_request
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        raise TransitionNotAllowed("The priority of a closed or cancelled request cannot change.")
    with transaction.atomic():
        _update_exactly_one(
            service_request,
            expected_status=service_request.status,
            expected={"priority": old},
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
        )
        _record(service_request, actor=by, kind=EventKind.PRIORITY, from_value=old, to_value=priority)
    return service_request
