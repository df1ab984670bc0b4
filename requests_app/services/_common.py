"""What every service shares: the workflow table, errors, history, conditional updates, clocks."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.permissions import is_member

from .. import clocks
from ..models import (
    Attachment,
    Comment,
    RequestEvent,
    ServiceRequest,
    Status,
)
from ..uploads import sniff

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


def record(
    service_request: ServiceRequest,
    *,
    actor: AbstractBaseUser | None,
    kind: str,
    from_value: str = "",
    to_value: str = "",
    internal: bool = False,
) -> RequestEvent:
    event = RequestEvent.objects.create(
        request=service_request,
        actor=actor,
        kind=kind,
        from_value=str(from_value)[:200],
        to_value=str(to_value)[:200],
        internal=internal,
    )
    service_request.recorded_events.append(event)
    return event


def save_attachments(
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
            # What the content is, not what the browser claimed (requests_app.uploads).
            content_type=sniff(upload).content_type[:120],
            uploaded_by=uploaded_by,
        )
        attachment.file.save(upload.name or "file", upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def update_exactly_one(
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
        raise ConcurrentChange(_("This request was changed by someone else meanwhile. Reload the page and try again."))
    before = (
        service_request.first_response_due_at,
        service_request.resolution_due_at,
        service_request.waiting_since,
        expected_status,
    )
    for field, value in changes.items():
        setattr(service_request, field, value)
    move_clocks(service_request, expected_status=expected_status, changes=changes, before=before)


def move_clocks(
    service_request: ServiceRequest,
    *,
    expected_status: str,
    changes: dict[str, Any],
    before: clocks.Snapshot,
) -> None:
    """The SLA side of a status or priority change, saved in the same transaction (the row is locked)."""
    status_changed = "status" in changes and changes["status"] != expected_status
    if not status_changed and "priority" not in changes:
        return
    now = changes["updated_at"]
    config = clocks.SLAConfig([service_request.service_id])
    if status_changed:
        clocks.on_status_change(service_request, expected_status, changes["status"], config, now, before)
    if "priority" in changes:
        clocks.retarget(service_request, config, now)
    save_clocks(service_request)


def save_clocks(service_request: ServiceRequest) -> None:
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        **{name: getattr(service_request, name) for name in clocks.CLOCK_FIELDS}
    )


def require_worker(user: AbstractBaseUser, service_request: ServiceRequest) -> None:
    if not is_member(user, service_request.department_id):
        raise PermissionDenied(_("Only agents and leads of this department can do that."))


def person(user: AbstractBaseUser | None) -> str:
    """A person as the history stores them (stored text: never translated, pages show it as written)."""
    if user is None:
        return "unassigned"
    return user.get_full_name() or user.get_username()
