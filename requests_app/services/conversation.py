"""The conversation: replies, internal notes, promised updates, the requester's answer that reopens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.permissions import is_member

from .. import clocks
from ..models import (
    Comment,
    EventKind,
    FollowUpPromise,
    NotificationKind,
    ServiceRequest,
    Status,
)
from . import notifications
from ._common import (
    TransitionNotAllowed,
    attachments_check,
    record,
    require_worker,
    save_attachments,
    save_clocks,
    update_exactly_one,
)
from .search import search_add_text


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
        raise PermissionDenied(_("You cannot comment on this request."))
    if internal and not staff:
        raise PermissionDenied(_("Only agents and leads can add internal notes."))
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
        raise TransitionNotAllowed(
            # Translators: %(status)s is the request's status in lower case ("closed" or "cancelled").
            _("This request is %(status)s; file a new request instead.")
            % {"status": service_request.get_status_display().lower()}
        )
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    files = list(files)
    attachments_check(service_request=service_request, files=files, field="attachments")
    with transaction.atomic():
        if not internal and requester and service_request.status in (Status.WAITING, Status.RESOLVED):
            # The requester answered: the request needs us again.
            reopen_or_resume(service_request, by=author)
        comment = Comment.objects.create(
            request=service_request,
            author=author,
            body=body,
            internal=internal,
            # An internal note belongs to the department that wrote it (``permissions.notes_visible_q``).
            department_id=service_request.department_id if internal else None,
        )
        save_attachments(service_request, files=files, uploaded_by=author, comment=comment)
        now = comment.created_at
        changes: dict[str, Any] = {"updated_at": now}
        first_response = staff and not internal and service_request.first_responded_at is None and not requester
        if first_response:
            changes["first_responded_at"] = now
        ServiceRequest.objects.filter(pk=service_request.pk).update(**changes)
        for field, value in changes.items():
            setattr(service_request, field, value)
        record(
            service_request,
            actor=author,
            kind=EventKind.NOTE if internal else EventKind.REPLY,
            internal=internal,
        )
        if staff and not internal and not requester:
            kept = keep_promises(service_request, now=now, by=author)
            if first_response or kept:
                config = clocks.SLAConfig([service_request.service_id])
                if first_response:
                    clocks.on_first_response(service_request, config, now)
                else:
                    clocks.reschedule(service_request, config)
                save_clocks(service_request)
        if not internal:
            search_add_text(request_id=service_request.pk, text=body)
            notifications.notification_create(
                request_id=service_request.pk, kind=NotificationKind.PUBLIC_REPLY, subject_id=comment.pk, now=now
            )
    return comment


def keep_promises(service_request: ServiceRequest, *, now: Any, by: AbstractBaseUser) -> int:
    """A public reply before a promised time keeps every open promise on the request."""
    kept = FollowUpPromise.objects.filter(
        request=service_request, kept_at=None, missed_at=None, withdrawn_at=None, due_at__gte=now
    ).update(kept_at=now)
    if kept:
        record(service_request, actor=by, kind=EventKind.PROMISE_KEPT)
    return kept


def promise_make(
    *, service_request: ServiceRequest, by: AbstractBaseUser, due_at: Any, now: Any = None
) -> FollowUpPromise:
    """An agent promises the requester an update by ``due_at``; earlier open promises are replaced."""
    require_worker(by, service_request)
    now = now or timezone.now()
    if due_at <= now:
        raise ValidationError({"due_at": _("A promise must be for a time in the future.")})
    if service_request.status not in (Status.NEW, Status.OPEN, Status.WAITING):
        raise TransitionNotAllowed(_("Updates can only be promised on requests that are still being worked on."))
    with transaction.atomic():
        FollowUpPromise.objects.filter(request=service_request, kept_at=None, missed_at=None, withdrawn_at=None).update(
            withdrawn_at=now
        )
        promise = FollowUpPromise.objects.create(request=service_request, agent=by, due_at=due_at)
        record(
            service_request,
            actor=by,
            kind=EventKind.PROMISE_MADE,
            to_value=timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
        )
        config = clocks.SLAConfig([service_request.service_id])
        clocks.reschedule(service_request, config)
        save_clocks(service_request)
    return promise


def reopen_or_resume(service_request: ServiceRequest, *, by: AbstractBaseUser) -> None:
    if service_request.status == Status.RESOLVED:
        check_reopen_window(service_request)
        old = service_request.status
        update_exactly_one(service_request, expected_status=old, status=Status.OPEN, resolved_at=None)
        record(service_request, actor=by, kind=EventKind.REOPENED, from_value=old, to_value=Status.OPEN)
    else:
        old = service_request.status
        update_exactly_one(service_request, expected_status=old, status=Status.OPEN)
        record(service_request, actor=by, kind=EventKind.STATUS, from_value=old, to_value=Status.OPEN)


def check_reopen_window(service_request: ServiceRequest) -> None:
    window = timedelta(days=settings.REOPEN_WINDOW_DAYS)
    if service_request.resolved_at and timezone.now() - service_request.resolved_at > window:
        days = settings.REOPEN_WINDOW_DAYS
        raise TransitionNotAllowed(
            ngettext(
                "This request was resolved more than %(days)s day ago and can no longer be reopened; file a new "
                "request instead.",
                "This request was resolved more than %(days)s days ago and can no longer be reopened; file a new "
                "request instead.",
                days,
            )
            % {"days": days}
        )


def promise_mark_missed(*, promise_id: int, now: datetime) -> bool:
    """A promised update that was not given by its time (the SLA sweep, with the "promise missed" email).

    Conditional on the promise still being open: one kept or withdrawn meanwhile stays as it is (False).
    """
    return FollowUpPromise.objects.filter(pk=promise_id, kept_at=None, missed_at=None).update(missed_at=now) == 1
