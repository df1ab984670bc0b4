"""The feedback sweep: what the feedback loop must do at a time, run by Celery beat.

Each run closes assessments past their closing date, hands out invitation emails that were never sent
(the broker was down when the assessment started), reminders due to respondents who have not answered,
weekly reminders of overdue assessment actions, and the monthly service review of each department on
the first working day of the month (on its calendar). Every message is claimed by the task that sends it
(a conditional UPDATE, or the review's unique row), so a run repeated or overlapping sends nothing twice.
Each step reads only what is due, through partial indexes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from departments import business_time
from departments.models import Department, Membership, Role, default_sla_calendar
from requests_app.feedback import enqueue
from requests_app.feedback.models import Assessment, AssessmentInvitation, MonthlyReview
from requests_app.feedback.services import assessments

logger = logging.getLogger(__name__)


@dataclass
class FeedbackSweepResult:
    closed: int = 0
    invitations: int = 0
    reminders: int = 0
    actions: int = 0
    reviews: int = 0
    enqueued: list[tuple[str, int, int]] = field(default_factory=list)


def first_working_day(calendar: business_time.Calendar, month_start: date) -> datetime:
    """The first working instant of the month starting ``month_start`` on ``calendar``."""
    midnight = datetime.combine(month_start, datetime.min.time()).replace(tzinfo=calendar.tz)
    return business_time.next_business_instant(calendar, midnight)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _reviews_due(now: datetime) -> list[int]:
    """Monthly reviews to send: per department with leads, once its month's first working instant passed.

    The review is of the previous month, created once (unique per department and month).
    """
    lead_departments = set(Membership.objects.filter(role=Role.LEAD).values_list("department_id", flat=True))
    departments = Department.objects.filter(pk__in=lead_departments, is_active=True)
    due: list[int] = []
    for department in departments.select_related("calendar"):
        calendar = department.calendar.to_sla_calendar() if department.calendar else default_sla_calendar()
        local_today = timezone.localtime(now, calendar.tz).date()
        start = first_working_day(calendar, local_today.replace(day=1))
        if now < start:
            continue
        month = previous_month(local_today)
        try:
            with transaction.atomic():
                review, created = MonthlyReview.objects.get_or_create(department=department, month=month)
        except IntegrityError:  # another sweep created it a moment ago: theirs to send
            continue
        if created or (review.sent_at is None and review.created_at < now - grace()):
            due.append(review.pk)
    return due


def grace() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_REQUEUE_GRACE_SECONDS)


def feedback_sweep(*, now: datetime | None = None) -> FeedbackSweepResult:
    """Find what is due and enqueue its delivery; the delivering task claims each message."""

    now = now or timezone.now()
    result = FeedbackSweepResult()
    for assessment_id in assessments.assessments_to_close(now):
        result.closed += assessments.assessment_close(assessment=Assessment.objects.get(pk=assessment_id), now=now)
    unsent = AssessmentInvitation.objects.filter(invited_email_at=None, invited_at__lt=now - grace()).values_list(
        "pk", flat=True
    )[:500]
    for invitation_id in unsent:
        result.enqueued.append(("invitation", invitation_id, 0))
        result.invitations += 1
    for invitation_id, number in assessments.due_reminders(now):
        result.enqueued.append(("reminder", invitation_id, number))
        result.reminders += 1
    today = timezone.localdate(now)
    for action_id in assessments.overdue_actions(today):
        result.enqueued.append(("action_overdue", action_id, 0))
        result.actions += 1
    for review_id in _reviews_due(now):
        result.enqueued.append(("monthly_review", review_id, 0))
        result.reviews += 1
    for kind, object_id, number in result.enqueued:
        enqueue.feedback_mail(kind, object_id, number)
    if result.enqueued or result.closed:
        logger.info(
            "Feedback sweep: %s closed, %s invitations, %s reminders, %s overdue actions, %s reviews",
            result.closed,
            result.invitations,
            result.reminders,
            result.actions,
            result.reviews,
        )
    return result
