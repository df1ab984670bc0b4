"""Assessment results with their anonymity rule, and the assessments a person is asked to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from departments.models import Department
from requests_app.feedback.models import (
    ANONYMITY_THRESHOLD,
    Assessment,
    AssessmentAnswer,
    AssessmentCriterion,
    AssessmentInvitation,
    AssessmentStatus,
)

User = get_user_model()


@dataclass
class CriterionResult:
    criterion: AssessmentCriterion
    count: int = 0
    average: float | None = None
    previous: float | None = None
    by_group: dict[int, tuple[int, float | None]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.average is None or self.previous is None:
            return None
        return self.average - self.previous


@dataclass
class GroupSummary:
    department: Department
    invited: int
    answered: int
    # Set when the smaller groups together are below the threshold: showing this group beside the
    # aggregate would give away their answers by difference (aggregate x all - this group x its size).
    withheld: bool = False

    @property
    def shown(self) -> bool:
        """A group's own figures are shown only from ``ANONYMITY_THRESHOLD`` respondents on."""
        return self.answered >= ANONYMITY_THRESHOLD and not self.withheld


@dataclass
class AssessmentResults:
    assessment: Assessment
    previous: Assessment | None
    respondents: int
    invited: int
    groups: list[GroupSummary]
    criteria: list[CriterionResult]
    hidden_groups: int
    closed: bool = True  # no longer takes answers

    @property
    def shown(self) -> bool:
        """Only once the assessment takes no more answers: results that changed with each answer would
        tell anyone who compares them before and after a colleague answered what that colleague said.
        And below the threshold in total even the aggregate would tell who said what: nothing is shown."""
        return self.closed and self.respondents >= ANONYMITY_THRESHOLD


def _averages(assessment: Assessment) -> dict[str, tuple[int, float]]:
    """{criterion key: (answers, average)} of an earlier assessment, for the comparison; nothing when it
    had fewer than ``ANONYMITY_THRESHOLD`` respondents (its own page shows nothing either)."""
    answered = AssessmentInvitation.objects.filter(assessment=assessment, answered_at__isnull=False).count()
    if answered < ANONYMITY_THRESHOLD:
        return {}
    scores: dict[str, list[int]] = {}
    for key, score in AssessmentAnswer.objects.filter(criterion__assessment=assessment).values_list(
        "criterion__key", "score"
    ):
        scores.setdefault(key, []).append(score)
    return {key: (len(values), sum(values) / len(values)) for key, values in scores.items()}


def assessment_results(assessment: Assessment, now: datetime | None = None) -> AssessmentResults:
    """Per criterion: the overall average, the change since the previous closed assessment, and per
    answering department only for groups of at least ``ANONYMITY_THRESHOLD`` respondents, and only while
    the smaller groups together have none or at least that many (else no group is shown on its own).
    Comments are listed without names or groups, and only when the results are shown at all: once the
    assessment takes no more answers (``AssessmentResults.shown``)."""
    now = now or timezone.now()
    criteria = list(assessment.criteria.all())
    invitations = list(AssessmentInvitation.objects.filter(assessment=assessment).select_related("group"))
    groups: dict[int, GroupSummary] = {}
    for invitation in invitations:
        summary = groups.setdefault(invitation.group_id, GroupSummary(invitation.group, 0, 0))
        summary.invited += 1
        summary.answered += invitation.answered_at is not None
    below = sum(g.answered for g in groups.values() if g.answered < ANONYMITY_THRESHOLD)
    if 0 < below < ANONYMITY_THRESHOLD:
        for summary in groups.values():
            summary.withheld = True
    answers = list(
        AssessmentAnswer.objects.filter(invitation__assessment=assessment).values_list(
            "criterion_id", "invitation__group_id", "score", "comment"
        )
    )
    results = {c.pk: CriterionResult(c) for c in criteria}
    scores: dict[int, list[int]] = {}
    group_scores: dict[tuple[int, int], list[int]] = {}
    for criterion_id, group_id, score, comment in answers:
        scores.setdefault(criterion_id, []).append(score)
        group_scores.setdefault((criterion_id, group_id), []).append(score)
        if comment.strip():
            results[criterion_id].comments.append(comment.strip())
    # An earlier assessment still taking answers is no comparison: its figures are not shown either.
    previous = (
        Assessment.objects.filter(department=assessment.department, created_at__lt=assessment.created_at)
        .filter(Q(status=AssessmentStatus.CLOSED) | Q(closes_at__lte=now))
        .exclude(pk=assessment.pk)
        .order_by("-created_at")
        .first()
    )
    before = _averages(previous) if previous else {}
    for criterion in criteria:
        result = results[criterion.pk]
        values = scores.get(criterion.pk, [])
        result.count = len(values)
        result.average = sum(values) / len(values) if values else None
        result.previous = before[criterion.key][1] if criterion.key in before else None
        for group_id, summary in groups.items():
            if summary.shown:
                in_group = group_scores.get((criterion.pk, group_id), [])
                result.by_group[group_id] = (len(in_group), sum(in_group) / len(in_group) if in_group else None)
        result.comments.sort()
    answered = sum(g.answered for g in groups.values())
    ordered = sorted(groups.values(), key=lambda g: g.department.name)
    return AssessmentResults(
        assessment=assessment,
        previous=previous,
        respondents=answered,
        invited=len(invitations),
        groups=ordered,
        criteria=[results[c.pk] for c in criteria],
        hidden_groups=sum(1 for g in ordered if 0 < g.answered < ANONYMITY_THRESHOLD),
        closed=not assessment.takes_answers(now),
    )


def weak_criteria(results: AssessmentResults, below: float = 3.5) -> list[CriterionResult]:
    """Criteria whose average is below ``below``: the ones that need an action."""
    return [r for r in results.criteria if r.average is not None and r.average < below]


def open_assessments_for(user: AbstractBaseUser, now: datetime) -> list[AssessmentInvitation]:
    """Assessments waiting for this person's answers."""
    return list(
        AssessmentInvitation.objects.filter(
            respondent=user, answered_at=None, assessment__status=AssessmentStatus.OPEN, assessment__closes_at__gt=now
        ).select_related("assessment__department")
    )
