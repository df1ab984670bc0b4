"""Triage: transfers between departments, watchers, bulk changes, saved views, availability.

Bulk changes call the one-at-a-time services for each request, each in its own savepoint: the same
rules, the same history, and one refused row never undoes the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Membership, Service
from departments.permissions import forget_memberships, is_lead, is_member

from .. import clocks
from ..models import (
    ACTIVE_STATUSES,
    Comment,
    EventKind,
    FollowUpPromise,
    Handoff,
    NotificationKind,
    SavedView,
    ServiceRequest,
    Status,
    Watcher,
)
from ..permissions import notes_visible_q
from . import notifications
from ._common import ConcurrentChange, TransitionNotAllowed, record, require_worker, save_clocks
from .filing import apply_assignment_rule, handoff_open
from .workflow import request_assign, request_change_priority, request_change_status


def _service_label(service: Service) -> str:
    return f"{service.department.name}: {service.name}"


def request_transfer(
    *,
    service_request: ServiceRequest,
    to_service: Service,
    by: AbstractBaseUser,
    reason: str,
    share_internal_notes: bool = False,
) -> ServiceRequest:
    """Move a request to another service, usually another department's, keeping its reference,
    conversation and history.

    The receiving department's SLA applies from the transfer: both clocks restart with its targets
    (a fresh first response is owed by the new holder), breaches and open promises of the previous
    holder are left behind with it. The request becomes new and unassigned in the receiving queue,
    where that department's assignment rule applies. The handoff ledger closes the previous
    holder's stretch and opens the new one, so time held can be summed per department.

    Internal notes stay with the department that wrote them unless ``share_internal_notes``: then every
    note the transferring department reads (its own and those shared with it) is shared with the
    receiving department, files included. Not sharing is the default: an HR note is HR's business.
    """
    require_worker(by, service_request)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why the request moves; the receiving department reads this.")})
    if service_request.status not in ACTIVE_STATUSES:
        raise TransitionNotAllowed(gettext("Only requests that are still being worked on can be transferred."))
    if not to_service.is_active or not to_service.department.is_active:
        raise ValidationError({"to_service": gettext("That service is not available any more.")})
    if to_service.pk == service_request.service_id:
        raise ValidationError({"to_service": gettext("The request is already filed against that service.")})
    old_service = service_request.service
    now = timezone.now()
    with transaction.atomic():
        updated = ServiceRequest.objects.filter(
            pk=service_request.pk, status=service_request.status, service_id=old_service.pk
        ).update(
            service=to_service,
            department_id=to_service.department_id,
            status=Status.NEW,
            assignee=None,
            first_responded_at=None,
            waiting_since=None,
            updated_at=now,
        )
        if updated != 1:
            raise ConcurrentChange(
                gettext("This request was changed by someone else meanwhile. Reload the page and try again.")
            )
        old_status = service_request.status
        service_request.service = to_service
        service_request.department_id = to_service.department_id
        service_request.status = Status.NEW
        service_request.assignee = None
        service_request.first_responded_at = None
        service_request.waiting_since = None
        service_request.updated_at = now
        FollowUpPromise.objects.filter(request=service_request, kept_at=None, missed_at=None, withdrawn_at=None).update(
            withdrawn_at=now
        )
        clocks.start_clocks(service_request, clocks.SLAConfig([to_service.pk]), now)
        save_clocks(service_request)
        if share_internal_notes and to_service.department_id != old_service.department_id:
            notes_share(service_request, from_department_id=old_service.department_id, to_service=to_service)
        Handoff.objects.filter(request=service_request, ended_at=None).update(ended_at=now)
        handoff_open(service_request, now=now, by=by, reason=reason)
        record(
            service_request,
            actor=by,
            kind=EventKind.TRANSFERRED,
            from_value=_service_label(old_service),
            to_value=_service_label(to_service),
        )
        if old_status != Status.NEW:
            record(service_request, actor=by, kind=EventKind.STATUS, from_value=old_status, to_value=Status.NEW)
        department = Department.objects.get(pk=to_service.department_id)
        apply_assignment_rule(service_request, department=department, service=to_service)
        notifications.notification_create(
            request_id=service_request.pk,
            kind=NotificationKind.REQUEST_TRANSFERRED,
            subject_id=Handoff.objects.get(request=service_request, ended_at=None).pk,
            now=now,
        )
    return service_request


def notes_share(service_request: ServiceRequest, *, from_department_id: int, to_service: Service) -> int:
    """Share the internal notes ``from_department_id`` reads on the request with ``to_service``'s
    department; returns how many. Part of a transfer (its transaction); sharing twice adds nothing."""
    shares = Comment.shared_with.through
    note_ids = Comment.objects.filter(request=service_request, internal=True).filter(
        notes_visible_q(from_department_id)
    )
    rows = [
        shares(comment_id=pk, department_id=to_service.department_id) for pk in note_ids.values_list("pk", flat=True)
    ]
    shares.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def watcher_add(*, service_request: ServiceRequest, user: AbstractBaseUser, by: AbstractBaseUser) -> Watcher:
    """The requester (or the department) lets a colleague follow the request: public conversation and
    status, and the emails the requester gets about replies and resolution."""
    if by.pk != service_request.requester_id and not is_member(by, service_request.department_id):
        raise PermissionDenied(gettext("Only the requester and the department can add watchers."))
    if not user.is_active:
        raise ValidationError({"user": gettext("That person's account is deactivated.")})
    if user.pk == service_request.requester_id:
        raise ValidationError({"user": gettext("The requester follows their own request already.")})
    if Watcher.objects.filter(request=service_request, user=user).exists():
        name = user.get_full_name() or user.get_username()
        raise ValidationError({"user": gettext("%(person)s already watches this request.") % {"person": name}})
    with transaction.atomic():
        watcher = Watcher.objects.create(request=service_request, user=user, added_by=by)
        record(
            service_request,
            actor=by,
            kind=EventKind.WATCHER_ADDED,
            to_value=user.get_full_name() or user.get_username(),
        )
    return watcher


def watcher_remove(*, service_request: ServiceRequest, user: AbstractBaseUser, by: AbstractBaseUser) -> None:
    """Stop someone following: the requester, the department, or the watcher themselves."""
    allowed = by.pk in (service_request.requester_id, user.pk) or is_member(by, service_request.department_id)
    if not allowed:
        raise PermissionDenied(gettext("Only the requester, the department or the watcher can remove a watcher."))
    with transaction.atomic():
        deleted, _ = Watcher.objects.filter(request=service_request, user=user).delete()
        if not deleted:
            raise ValidationError({"user": gettext("That person does not watch this request.")})
        record(
            service_request,
            actor=by,
            kind=EventKind.WATCHER_REMOVED,
            from_value=user.get_full_name() or user.get_username(),
        )


# --- bulk changes --------------------------------------------------------------------------------


class BulkAction:
    ASSIGN = "assign"
    PRIORITY = "priority"
    STATUS = "status"
    choices = ((ASSIGN, _("Assign")), (PRIORITY, _("Change priority")), (STATUS, _("Change status")))


@dataclass
class BulkResult:
    """What a bulk change did: references changed, and each refused one with the reason."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def _bulk_step(action: str, value: Any, by: AbstractBaseUser, note: str) -> Callable[[ServiceRequest], None]:
    if action == BulkAction.ASSIGN:
        return lambda sr: request_assign(service_request=sr, assignee=value, by=by)
    if action == BulkAction.PRIORITY:
        return lambda sr: request_change_priority(service_request=sr, priority=value, by=by)
    if action == BulkAction.STATUS:
        return lambda sr: request_change_status(service_request=sr, to_status=value, by=by, note=note)
    raise ValidationError({"action": gettext("Unknown bulk action %(action)r.") % {"action": action}})


def _snapshot(sr: ServiceRequest) -> tuple[Any, ...]:
    return (sr.assignee_id, sr.priority, sr.status)


def requests_bulk_change(
    *, requests: Iterable[ServiceRequest], action: str, value: Any, by: AbstractBaseUser, note: str = ""
) -> BulkResult:
    """Apply one change to many requests, each through its own service call and savepoint.

    A request the person may not change, or whose change the workflow refuses, is reported with the
    reason and left as it was; the others go through. ``requests`` must already be limited to what
    the person may see (the caller's permission lookup), so a refusal never leaks a stranger's request.
    """
    step = _bulk_step(action, value, by, note)
    result = BulkResult()
    for sr in requests:
        before = _snapshot(sr)
        try:
            with transaction.atomic():
                step(sr)
        except PermissionDenied as exc:
            result.refused.append((sr.reference, str(exc) or gettext("You may not change this request.")))
        except ConcurrentChange as exc:
            result.refused.append((sr.reference, str(exc)))
        except ValidationError as exc:
            result.refused.append((sr.reference, " ".join(exc.messages)))
        else:
            (result.changed if _snapshot(sr) != before else result.unchanged).append(sr.reference)
    return result


# --- saved views and availability ---------------------------------------------------------------


def saved_view_create(
    *, department: Department, owner: AbstractBaseUser, name: str, query: str, shared: bool = False
) -> SavedView:
    """Save a queue filter under a name. Sharing with the whole department is for its leads."""
    if not is_member(owner, department.pk):
        raise PermissionDenied(gettext("Only agents and leads of this department can save its views."))
    if shared and not is_lead(owner, department.pk):
        raise PermissionDenied(gettext("Only a lead can share a view with the whole department."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": gettext("Give the view a name.")})
    if SavedView.objects.filter(department=department, owner=owner, name=name).exists():
        raise ValidationError({"name": gettext("You already have a view called “%(name)s”.") % {"name": name}})
    return SavedView.objects.create(department=department, owner=owner, name=name, query=query, shared=shared)


def saved_view_delete(*, view: SavedView, by: AbstractBaseUser) -> None:
    if view.owner_id != by.pk and not (view.shared and is_lead(by, view.department_id)):
        raise PermissionDenied(gettext("Only its owner (or a lead, for a shared view) can delete this view."))
    view.delete()


def membership_set_available(*, membership: Membership, available: bool, by: AbstractBaseUser) -> Membership:
    """An agent marks themselves (or a lead marks a member) available for round-robin assignment.

    Coming back puts the member at the back of the line (the department's next turn, after everyone
    already in line), so a week of leave is not repaid with a week of consecutive assignments. The
    last member served holds the current turn; sharing it would let an older membership jump ahead.
    """
    if membership.user_id != by.pk and not is_lead(by, membership.department_id):
        raise PermissionDenied(gettext("Only the member themselves or a lead can change availability."))
    changes: dict[str, Any] = {"is_available": available}
    with transaction.atomic():
        if available and not membership.is_available:
            # Advanced like a filing does, under the department row's lock: no two members share a turn.
            department = Department.objects.filter(pk=membership.department_id)
            department.update(round_robin_counter=F("round_robin_counter") + 1)
            changes["round_robin_turn"] = department.values_list("round_robin_counter", flat=True).get()
        Membership.objects.filter(pk=membership.pk).update(**changes)
    for key, value in changes.items():
        setattr(membership, key, value)
    forget_memberships(membership.user)
    return membership
