"""Delivering the feedback loop's emails that are not about one request: assessment invitations and
reminders, overdue actions, monthly reviews. Each is claimed before it is sent (see ``deliver``), so a
task run twice, or by two workers, sends it once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from departments.models import Membership, Role
from requests_app.feedback import emails
from requests_app.feedback.models import AssessmentAction, AssessmentInvitation, MonthlyReview
from requests_app.feedback.selectors.dashboards import review_figures
from requests_app.feedback.services import assessments


def _invitation(invitation_id: int, number: int, now: datetime) -> bool:
    if not assessments.claim_invitation_email(invitation_id, now):
        return False
    invitation = AssessmentInvitation.objects.select_related("assessment__department", "respondent", "group").get(
        pk=invitation_id
    )
    emails.send_assessment_invitation(invitation)
    return True


def _reminder(invitation_id: int, number: int, now: datetime) -> bool:
    if not assessments.claim_reminder(invitation_id, number, now):
        return False
    invitation = AssessmentInvitation.objects.select_related("assessment__department", "respondent", "group").get(
        pk=invitation_id
    )
    emails.send_assessment_invitation(invitation, reminder=number)
    return True


def _action_overdue(action_id: int, number: int, now: datetime) -> bool:
    if not assessments.claim_action_reminder(action_id, timezone.localdate(now)):
        return False
    action = AssessmentAction.objects.select_related("assessment__department", "owner", "criterion").get(pk=action_id)
    leads = Membership.objects.filter(department=action.assessment.department, role=Role.LEAD, user__is_active=True)
    emails.send_action_overdue(action, [action.owner.email, *leads.values_list("user__email", flat=True)])
    return True


def _monthly_review(review_id: int, number: int, now: datetime) -> bool:
    claimed = MonthlyReview.objects.filter(pk=review_id, sent_at=None).update(sent_at=now)
    if claimed != 1:
        return False
    review = MonthlyReview.objects.select_related("department").get(pk=review_id)
    leads = Membership.objects.filter(department=review.department, role=Role.LEAD, user__is_active=True)
    sent = emails.send_monthly_review(
        review, review_figures(review.department, review.month), list(leads.values_list("user__email", flat=True))
    )
    MonthlyReview.objects.filter(pk=review_id).update(recipients=", ".join(sent))
    return True


DELIVERIES: dict[str, Callable[[int, int, datetime], bool]] = {
    "invitation": _invitation,
    "reminder": _reminder,
    "action_overdue": _action_overdue,
    "monthly_review": _monthly_review,
}


def deliver(kind: str, object_id: int, number: int = 0) -> bool:
    """Claim and send one feedback email; False when someone else claimed it (or it is no longer due)."""
    return DELIVERIES[kind](object_id, number, timezone.now())
