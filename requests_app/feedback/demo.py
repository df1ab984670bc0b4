"""The feedback loop's part of the demo data (``manage.py seed_demo``): ratings and thanks over the
seeded history, an IT assessment with an overdue action, and the dashboards' summaries."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from unittest import mock

from departments.models import Department, Membership, Role
from requests_app.models import EventKind, RequestEvent, ServiceRequest

from . import services
from .days import local_day
from .models import Assessment, AssessmentInvitation, Feedback, FeedbackFollowUp, Kudos
from .services.assessments import Score
from .services.summaries import summaries_refresh

DAYS = 60  # as far back as the seeded requests go (requests_app/management/commands/_demo_data.py)

RATED_SHARE = 0.6
RATING_WEIGHTS = (4, 5, 10, 35, 46)
RATING_COMMENTS = {
    1: ("Nobody answered for days.", "I had to chase this three times."),
    2: ("It took much longer than promised.",),
    4: ("Quick and friendly, thanks.",),
    5: ("Perfect, thank you!", "Solved before I even asked twice."),
}
KUDOS_SHARE = 0.25
KUDOS_MESSAGES = (
    "Thanks for sorting this out so quickly!",
    "You kept me posted the whole way, much appreciated.",
    "Great help, thank you.",
)
# An assessment of IT by its internal customers, closed, with its answers (criterion key: scores).
ASSESSMENT_TITLE = "Autumn check-in"
ASSESSMENT_SCORES = {
    "responsiveness": (4, 4, 5, 3, 2),
    "time_commitments": (3, 2, 3, 3, 2),
    "follow_up": (3, 3, 2, 4, 3),
    "empathy": (5, 4, 5, 4, 4),
}
ASSESSMENT_ACTION = "Send a status update on every open request older than three days, every Friday."


def seed_feedback(*, now: datetime, rng: random.Random, departments: Sequence[Department]) -> Counter[str]:
    """Ratings, thanks and an IT assessment over the seeded history, then the dashboards' summaries.

    Demo data is history, not news: no feedback mail is enqueued while seeding."""
    created: Counter[str] = Counter()
    demo = ServiceRequest.objects.filter(department__in=departments)
    resolved = list(demo.filter(resolved_at__isnull=False).select_related("requester", "assignee"))
    for sr in resolved:
        if rng.random() < RATED_SHARE:
            rating = rng.choices(range(1, 6), RATING_WEIGHTS)[0]
            comment = rng.choice(RATING_COMMENTS[rating]) if rating in RATING_COMMENTS and rng.random() < 0.6 else ""
            feedback = services.feedback_give(service_request=sr, by=sr.requester, rating=rating, comment=comment)
            rated_at = min(sr.resolved_at + timedelta(hours=rng.uniform(1, 30)), now)
            Feedback.objects.filter(pk=feedback.pk).update(created_at=rated_at)
            FeedbackFollowUp.objects.filter(feedback=feedback).update(opened_at=rated_at)
            RequestEvent.objects.filter(request=sr, kind=EventKind.FEEDBACK_GIVEN).update(created_at=rated_at)
        if sr.assignee_id and sr.assignee_id != sr.requester_id and rng.random() < KUDOS_SHARE:
            kudos = services.kudos_give(
                service_request=sr, sender=sr.requester, recipient=sr.assignee, message=rng.choice(KUDOS_MESSAGES)
            )
            thanked_at = min(sr.resolved_at + timedelta(hours=rng.uniform(0.5, 20)), now)
            Kudos.objects.filter(pk=kudos.pk).update(created_at=thanked_at)
            RequestEvent.objects.filter(request=sr, kind=EventKind.KUDOS).update(created_at=thanked_at)
    created["ratings"] += Feedback.objects.filter(request__in=demo).count()
    created["assessments"] += _assessment_example(now=now, departments=departments)
    today = local_day(now)
    summaries_refresh(days=[today - timedelta(days=n) for n in range(DAYS + 7)], now=now)
    return created


def _assessment_example(*, now: datetime, departments: Sequence[Department]) -> int:
    it = next((d for d in departments if d.slug == "it"), None)
    if it is None:
        return 0
    lead = (
        Membership.objects.filter(department=it, role=Role.LEAD)
        .select_related("user")
        .order_by("user__username")[0]
        .user
    )
    first_agent = (
        Membership.objects.filter(department=it, role=Role.AGENT)
        .select_related("user")
        .order_by("user__username")[0]
        .user
    )
    customers = list(Department.objects.filter(slug__in=("sales", "marketing")))
    started = now - timedelta(days=20)
    with mock.patch("django.utils.timezone.now", return_value=started):
        assessment = services.assessment_start(
            department=it,
            by=lead,
            title=ASSESSMENT_TITLE,
            closes_at=started + timedelta(days=14),
            respondent_departments=customers,
            custom_criteria=["Clear explanations"],
        )
    invitations = list(assessment.invitations.order_by("pk"))
    AssessmentInvitation.objects.filter(assessment=assessment).update(invited_email_at=started)
    for index, invitation in enumerate(invitations[: len(next(iter(ASSESSMENT_SCORES.values())))]):
        scores = {key: Score(values[index]) for key, values in ASSESSMENT_SCORES.items()}
        scores["clear-explanations"] = Score(4 if index % 2 else 3)
        services.assessment_answer(
            invitation=invitation, by=invitation.respondent, scores=scores, now=started + timedelta(days=2)
        )
    services.assessment_close(assessment=assessment, now=started + timedelta(days=14))
    weak = assessment.criteria.get(key="time_commitments")
    services.assessment_action_add(
        assessment=assessment,
        by=lead,
        description=ASSESSMENT_ACTION,
        owner=first_agent,
        due_on=(now - timedelta(days=2)).date(),
        criterion=weak,
    )
    Assessment.objects.filter(pk=assessment.pk).update(created_at=started)
    return 1
