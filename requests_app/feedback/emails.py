"""The feedback loop's emails: the rating request after resolution, a low rating to the leads, a closed
follow-up to the requester, thanks to the colleague thanked (outbox rows the core delivers, written by
the recipes registered in ``apps.py``), and the mails that are not about one request: assessment
invitations and reminders, overdue actions, the monthly review."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from departments.models import Role
from requests_app.emails import member_emails, requester_recipients, send_templated
from requests_app.models import Notification, NotificationKind

from .models import AssessmentAction, AssessmentInvitation, Feedback, FeedbackFollowUp, Kudos, MonthlyReview
from .rating_links import rating_url


def _feedback_request(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    """The resolution's rating request, with one signed link per score for the requester."""
    sr = notification.request
    links = [(score, rating_url(request_id=sr.pk, user_id=sr.requester_id, score=score)) for score in range(5, 0, -1)]
    return {"rating_links": links, "rating_days": settings.RATING_LINK_MAX_AGE_DAYS}, requester_recipients(sr)


def _low_rating(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    feedback = Feedback.objects.filter(pk=notification.subject_id).first()
    if feedback is None:
        return {}, []
    return {"feedback": feedback}, member_emails(notification.request.department, Role.LEAD)


def _follow_up_done(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    follow_up = FeedbackFollowUp.objects.select_related("closed_by").filter(pk=notification.subject_id).first()
    if follow_up is None or not follow_up.requester_told:
        return {}, []
    return {"follow_up": follow_up}, requester_recipients(notification.request)


def _kudos(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    kudos = Kudos.objects.select_related("sender", "recipient").filter(pk=notification.subject_id).first()
    if kudos is None or not kudos.recipient.is_active:
        return {}, []
    return {"kudos": kudos}, [kudos.recipient.email]


RECIPES = {
    NotificationKind.FEEDBACK_REQUEST: _feedback_request,
    NotificationKind.LOW_RATING: _low_rating,
    NotificationKind.FOLLOW_UP_DONE: _follow_up_done,
    NotificationKind.KUDOS_RECEIVED: _kudos,
}


def send_assessment_invitation(invitation: AssessmentInvitation, reminder: int = 0) -> list[str]:
    """The tokenized link to answer an assessment (``reminder`` > 0: the n-th reminder of it)."""
    respondent = invitation.respondent
    if not respondent.is_active:
        return []
    kind = "reminder" if reminder else "invitation"
    return send_templated(
        "assessment_invitation",
        {"invitation": invitation, "assessment": invitation.assessment, "reminder": reminder},
        [respondent.email],
        mail_key=f"{kind}:{invitation.pk}:{reminder}",
    )


def send_action_overdue(action: AssessmentAction, to: Iterable[str]) -> list[str]:
    return send_templated(
        "action_overdue", {"action": action}, to, mail_key=f"action_overdue:{action.pk}:{action.reminded_week}"
    )


def send_monthly_review(review: MonthlyReview, figures: Any, to: Iterable[str]) -> list[str]:
    return send_templated(
        "monthly_review", {"review": review, "figures": figures}, to, mail_key=f"monthly_review:{review.pk}:0"
    )
