"""Access rules for service requests, used by views and (later) the API alike.

The rules, in one place:
- the requester sees their request, its public conversation and public history;
- a watcher (a colleague the requester asked to follow) sees what the requester sees, but only reads;
- agents and leads of the request's department see everything except other departments' internal
  notes: a note belongs to the department that wrote it, and follows a transfer only when the
  transferring agent shares it (``Comment.shared_with``);
- nobody else learns the request exists: look-ups raise 404, not 403.
Being a Django superuser grants nothing here; admins work in Django admin.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from departments.models import Department
from departments.permissions import is_lead, is_member, member_department_ids, user_memberships
from servicedesk.logs import bind_reference

from .models import Attachment, Comment, ServiceRequest, Watcher


def visible_requests_q(user: AbstractBaseUser) -> Q:
    """Requests the person may see: their own, their departments', and those they watch.

    Watching is an EXISTS, not a join, so a request with several watchers is still one row.
    """
    watching = Exists(Watcher.objects.filter(request=OuterRef("pk"), user_id=user.pk))
    return Q(requester=user) | Q(department_id__in=member_department_ids(user)) | Q(watching)


def notes_visible_q(department_id: int, prefix: str = "") -> Q:
    """Comments the department's agents may read: public ones, their own notes and notes shared with them.

    ``prefix`` is the path to the comment from the model queried (``"comment__"`` for attachments).
    Sharing is an EXISTS, not a join, so a note shared with several departments is still one row.
    """
    shared = Exists(
        Comment.shared_with.through.objects.filter(
            comment_id=OuterRef(f"{prefix}pk" if prefix else "pk"), department_id=department_id
        )
    )
    return Q(**{f"{prefix}internal": False}) | Q(**{f"{prefix}department_id": department_id}) | Q(shared)


def is_watcher(user: AbstractBaseUser, service_request: ServiceRequest) -> bool:
    return Watcher.objects.filter(request=service_request, user_id=user.pk).exists()


def get_request_for_user(user: AbstractBaseUser, reference: str, queryset: QuerySet | None = None) -> ServiceRequest:
    """The request if the user may see it, else 404 (so its existence does not leak)."""
    qs = queryset if queryset is not None else ServiceRequest.objects.select_related("service", "department")
    try:
        found = qs.filter(visible_requests_q(user)).get(reference=reference)
    except ServiceRequest.DoesNotExist:
        raise Http404(_("No such request.")) from None
    bind_reference(found.reference)
    return found


def can_work_on(user: AbstractBaseUser, service_request: ServiceRequest) -> bool:
    """Agents and leads of the department: reply, note, claim, change status and priority."""
    return is_member(user, service_request.department_id)


def can_assign_others(user: AbstractBaseUser, service_request: ServiceRequest) -> bool:
    return is_lead(user, service_request.department_id)


def is_requester(user: AbstractBaseUser, service_request: ServiceRequest) -> bool:
    return service_request.requester_id == user.pk


def get_queue_department_for_user(user: AbstractBaseUser, slug: str) -> Department:
    """The department whose queue the user works, else 404; from the memberships already loaded."""
    for membership in user_memberships(user):
        if membership.department.slug == slug and membership.department.is_active:
            return membership.department
    raise Http404(_("No such queue."))


def get_attachment_for_user(user: AbstractBaseUser, pk: int) -> Attachment:
    """An attachment the user may download: on a request they see, and not on an internal note unless
    the note is their department's (its own, or shared with it on a transfer)."""
    try:
        attachment = Attachment.objects.select_related("request", "comment").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404(_("No such attachment.")) from None
    sr = attachment.request
    if can_work_on(user, sr):
        if not attachment.internal or attachment.comment.department_id == sr.department_id:
            return attachment
        if attachment.comment.shared_with.filter(pk=sr.department_id).exists():
            return attachment
        raise Http404(_("No such attachment."))
    if (is_requester(user, sr) or is_watcher(user, sr)) and not attachment.internal:
        return attachment
    raise Http404(_("No such attachment."))
