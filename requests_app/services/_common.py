"""What every service shares: the workflow table, errors, history, conditional updates, clocks."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
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
from ..uploads import sniff, too_many_files

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


def attachments_check(
    *,
    service_request: ServiceRequest | None,
    files: Sequence[tuple[str, UploadedFile]],
    field: str,
) -> None:
    """Refuse an upload flood before anything is written: more files than one message or filing may carry
    (``ATTACHMENT_MAX_FILES``), or more than a request's attachments may add up to, counting what it holds
    already (``ATTACHMENT_MAX_TOTAL_BYTES``). ``service_request`` is None while filing (it holds nothing yet).

    Every service that saves attachments calls this first, so no way in (web, API, a command) passes it by;
    ``field`` names the input the caller's error belongs to. It costs one aggregate query, and only when
    files are added to an existing request. The total is read without a lock: two posts at the same moment
    may each pass and go over it by at most one post's files (a flood is what it stops, and the reply rate
    limit bounds how many posts a person can race).
    """
    if not files:
        return
    most = settings.ATTACHMENT_MAX_FILES
    if len(files) > most:
        raise ValidationError({field: too_many_files(most)})
    adding = sum(upload.size or 0 for _field, upload in files)
    held = 0
    if service_request is not None:
        held = Attachment.objects.filter(request=service_request).aggregate(total=Sum("size"))["total"] or 0
    limit = settings.ATTACHMENT_MAX_TOTAL_BYTES
    if held + adding <= limit:
        return
    sizes = {"limit": filesizeformat(limit), "held": filesizeformat(held), "adding": filesizeformat(adding)}
    if held:
        # Translators: sizes such as "100.0 MB"; the files the person chose would take the request over its limit.
        text = _(
            "A request may hold at most %(limit)s of attachments; this one already holds %(held)s and these files "
            "add %(adding)s. Attach fewer or smaller files."
        )
    else:
        text = _(
            "A request may hold at most %(limit)s of attachments; these files add up to %(adding)s. "
            "Attach fewer or smaller files."
        )
    raise ValidationError({field: text % sizes})


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
