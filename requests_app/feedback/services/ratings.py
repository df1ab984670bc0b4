"""Satisfaction ratings and their follow-ups, and thanks between colleagues.

A request takes one rating, from its requester, once it is resolved (or closed after resolution).
A rating of ``LOW_RATING`` or less opens a follow-up for the department's leads in the same
transaction; it stays open until a lead records what was done, and the requester may be told.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.models import Membership, Profile
from departments.permissions import is_lead
from requests_app.feedback.models import LOW_RATING, Feedback, FeedbackChannel, FeedbackFollowUp, Kudos
from requests_app.models import EventKind, NotificationKind, RequestEvent, ServiceRequest, Status
from requests_app.services import notifications, record

from ..selectors.thanks import participants

MAX_COMMENT = 5_000


def feedback_give(
    *,
    service_request: ServiceRequest,
    by: AbstractBaseUser,
    rating: int,
    comment: str = "",
    channel: str = FeedbackChannel.PAGE,
) -> Feedback:
    """The requester rates their resolved request; a second rating is refused (the first one stands)."""
    if service_request.requester_id != by.pk:
        raise PermissionDenied(_("Only the requester can rate this request."))
    if service_request.status not in (Status.RESOLVED, Status.CLOSED) or service_request.resolved_at is None:
        raise ValidationError({"rating": _("A request can be rated once it is resolved.")})
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 (poor) to 5 (excellent).")})
    comment = (comment or "").strip()[:MAX_COMMENT]
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(request=service_request, rating=rating, comment=comment, channel=channel)
            record(service_request, actor=by, kind=EventKind.FEEDBACK_GIVEN, to_value=f"{rating}/5")
            if rating <= LOW_RATING:
                FeedbackFollowUp.objects.create(feedback=feedback, department_id=service_request.department_id)
                notifications.notification_create(
                    request_id=service_request.pk, kind=NotificationKind.LOW_RATING, subject_id=feedback.pk
                )
    except IntegrityError:
        raise ValidationError({"rating": _("This request has been rated already; thank you.")}) from None
    return feedback


def feedback_add_comment(*, feedback: Feedback, by: AbstractBaseUser, comment: str) -> Feedback:
    """After a one-click rating, the requester may add the comment once."""
    if feedback.request.requester_id != by.pk:
        raise PermissionDenied(_("Only the requester can comment on their rating."))
    comment = (comment or "").strip()[:MAX_COMMENT]
    if not comment:
        raise ValidationError({"comment": _("Write a comment, or leave the rating as it is.")})
    updated = Feedback.objects.filter(pk=feedback.pk, comment="").update(comment=comment)
    if updated != 1:
        raise ValidationError({"comment": _("This rating has a comment already.")})
    feedback.comment = comment
    return feedback


def follow_up_close(
    *, follow_up: FeedbackFollowUp, by: AbstractBaseUser, action_taken: str, tell_requester: bool = False
) -> FeedbackFollowUp:
    """A lead records what was done about a low rating; optionally the requester is told (by email)."""
    if not is_lead(by, follow_up.department_id):
        raise PermissionDenied(_("Only a lead of the department can close this follow-up."))
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationError({"action_taken": _("Say what was done; it is the follow-up's record.")})
    now = timezone.now()
    with transaction.atomic():
        updated = FeedbackFollowUp.objects.filter(pk=follow_up.pk, closed_at=None).update(
            closed_at=now, closed_by=by, action_taken=action_taken, requester_told=tell_requester
        )
        if updated != 1:
            raise ValidationError({"action_taken": _("This follow-up was closed already.")})
        follow_up.closed_at, follow_up.closed_by, follow_up.action_taken = now, by, action_taken
        follow_up.requester_told = tell_requester
        sr = follow_up.feedback.request
        RequestEvent.objects.create(
            request=sr, actor=by, kind=EventKind.FOLLOW_UP_CLOSED, to_value=action_taken[:200], internal=True
        )
        if tell_requester:
            notifications.notification_create(
                request_id=sr.pk, kind=NotificationKind.FOLLOW_UP_DONE, subject_id=follow_up.pk
            )
    return follow_up


def kudos_give(
    *, service_request: ServiceRequest, sender: AbstractBaseUser, recipient: AbstractBaseUser, message: str
) -> Kudos:
    """Thank a colleague for a request both took part in; once per request and colleague.

    The thanks count for the department the recipient served the request for, or, when they did not
    serve it (an agent thanking a helpful requester), for their home department.
    """
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Say what you are thankful for.")})
    if len(message) > 280:
        limit = ngettext(
            "Keep it short: at most %(count)s character.", "Keep it short: at most %(count)s characters.", 280
        )
        raise ValidationError({"message": limit % {"count": 280}})
    if recipient.pk == sender.pk:
        raise ValidationError({"recipient": _("Thanking yourself does not count.")})
    if not recipient.is_active:
        raise ValidationError({"recipient": _("That person's account is deactivated.")})
    people = participants(service_request)
    if sender.pk not in people:
        raise PermissionDenied(_("Only people who took part in this request can thank others for it."))
    if recipient.pk not in people:
        raise ValidationError({"recipient": _("That person did not take part in this request.")})
    if Membership.objects.filter(user=recipient, department_id=service_request.department_id).exists():
        department_id = service_request.department_id
    else:
        department_id = Profile.objects.filter(user=recipient).values_list("department_id", flat=True).first()
    try:
        with transaction.atomic():
            kudos = Kudos.objects.create(
                request=service_request,
                sender=sender,
                recipient=recipient,
                department_id=department_id,
                message=message,
            )
            record(
                service_request,
                actor=sender,
                kind=EventKind.KUDOS,
                to_value=recipient.get_full_name() or recipient.get_username(),
            )
            notifications.notification_create(
                request_id=service_request.pk, kind=NotificationKind.KUDOS_RECEIVED, subject_id=kudos.pk
            )
    except IntegrityError:
        raise ValidationError({"recipient": _("You thanked this colleague for this request already.")}) from None
    return kudos
