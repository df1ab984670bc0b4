"""Quality assessments of one department by the departments it serves: criteria, invitations, answers
and the actions leads take on weak criteria."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from departments.models import Department

from .ratings import SCORE_VALIDATORS


class AssessmentStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Open for answers")
    CLOSED = "closed", gettext_lazy("Closed")


# The fixed criteria every assessment asks about, in this order: (key, label, description). Label and
# description are stored in English with each assessment's criteria (``gettext_noop`` only marks them for
# the catalog) and translated where they are read (``AssessmentCriterion.from_db``).
FIXED_CRITERIA = (
    (
        "responsiveness",
        # Translators: a criterion of a department's quality assessment.
        gettext_noop("Responsiveness"),
        gettext_noop("They answer quickly and you know where your request stands."),
    ),
    (
        "time_commitments",
        # Translators: a criterion of a department's quality assessment.
        gettext_noop("Respect for time commitments"),
        gettext_noop("They do what they promised, when they promised."),
    ),
    (
        "follow_up",
        # Translators: a criterion of a department's quality assessment (keeping people informed, closing the loop).
        gettext_noop("Follow-up"),
        gettext_noop("They keep you informed and close the loop without being chased."),
    ),
    (
        "empathy",
        # Translators: a criterion of a department's quality assessment.
        gettext_noop("Empathy"),
        gettext_noop("They understand what you need and treat you as a colleague."),
    ),
)
# The English texts of the fixed criteria: a stored label or description that is one of them is shown
# translated; any other text (a lead's own criterion, an older wording) as it was written.
FIXED_TEXTS = frozenset(text for _, label, description in FIXED_CRITERIA for text in (label, description))
MAX_CUSTOM_CRITERIA = 3
# Below this many respondents, a group's answers are shown only within the aggregate.
ANONYMITY_THRESHOLD = 3


class Assessment(models.Model):
    """A periodic quality assessment of one department by the departments it serves."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="assessments")
    title = models.CharField(max_length=120)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    respondent_departments = models.ManyToManyField(
        Department,
        related_name="assessments_answered",
        blank=True,
        db_table="requests_app_assessment_respondent_departments",
    )

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_assessment"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "-created_at"], name="assessment_department_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.department})"

    def takes_answers(self, now: datetime) -> bool:
        """Open and before its closing time (the sweep marks it closed a little later)."""
        return self.status == AssessmentStatus.OPEN and self.closes_at > now


class AssessmentCriterion(models.Model):
    """One criterion of an assessment, copied into it when it starts.

    The fixed criteria's label and description are stored in English, as ``FIXED_CRITERIA`` words them;
    read from the database they become lazy translations of that text (``from_db``), so every page, form
    and email shows them in the reader's language while the row keeps the English words. A lead's own
    criteria are their words and stay as written.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    custom = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_assessmentcriterion"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "key"], name="criterion_unique_key")]

    def __str__(self) -> str:
        return str(self.label)

    @classmethod
    def from_db(cls, db: str | None, field_names: Sequence[str], values: Sequence[Any]) -> AssessmentCriterion:
        instance = super().from_db(db, field_names, values)
        deferred = instance.get_deferred_fields()
        if "custom" in deferred or instance.custom:
            return instance
        for name in ("label", "description"):
            text = getattr(instance, name) if name not in deferred else None
            if text in FIXED_TEXTS:
                setattr(instance, name, gettext_lazy(text))  # the row keeps the English text
        return instance


class AssessmentInvitation(models.Model):
    """One respondent's tokenized link to answer an assessment for their department."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="invitations")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The group the answers count for: the respondent's (answering) department.
    group = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    invited_at = models.DateTimeField(auto_now_add=True)
    # Claimed (set) by the one task that sends the invitation email.
    invited_email_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_assessmentinvitation"
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "respondent"], name="invitation_once_per_person"),
        ]
        indexes = [
            models.Index(
                fields=["assessment", "last_reminded_at"],
                name="invitation_pending_idx",
                condition=Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        # Translators: an invitation to answer an assessment, e.g. "ann for Spring 2027 (IT)".
        return gettext("%(respondent)s for %(assessment)s") % {
            "respondent": self.respondent,
            "assessment": self.assessment,
        }


class AssessmentAnswer(models.Model):
    invitation = models.ForeignKey(AssessmentInvitation, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(AssessmentCriterion, on_delete=models.CASCADE, related_name="answers")
    score = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    comment = models.TextField(blank=True)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_assessmentanswer"
        constraints = [
            models.UniqueConstraint(fields=["invitation", "criterion"], name="answer_once_per_criterion"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="answer_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 on {self.criterion_id}"


class AssessmentAction(models.Model):
    """What the department will do about a weak criterion: an owner and a due date, tracked until done."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="actions")
    criterion = models.ForeignKey(
        AssessmentCriterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessment_actions")
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # The last ISO week (yyyyww) an overdue reminder went out for: at most one a week, exactly once.
    reminded_week = models.PositiveIntegerField(default=0)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_assessmentaction"
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on"], name="action_open_idx", condition=Q(done_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.description[:60]
