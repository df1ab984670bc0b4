"""The feedback loop's models. Their tables kept the names they had in ``requests_app`` (each model
says so in its ``Meta.db_table``), so moving them into this app copied no data."""

from .assessments import (
    ANONYMITY_THRESHOLD,
    FIXED_CRITERIA,
    MAX_CUSTOM_CRITERIA,
    Assessment,
    AssessmentAction,
    AssessmentAnswer,
    AssessmentCriterion,
    AssessmentInvitation,
    AssessmentStatus,
)
from .ratings import LOW_RATING, Feedback, FeedbackChannel, FeedbackFollowUp, Kudos
from .summaries import (
    BACKLOG_BUCKETS,
    DepartmentDay,
    MonthlyReview,
    RelationDay,
    ServiceDay,
    ServiceSnapshot,
    SummaryRun,
)

__all__ = [
    "ANONYMITY_THRESHOLD",
    "BACKLOG_BUCKETS",
    "FIXED_CRITERIA",
    "LOW_RATING",
    "MAX_CUSTOM_CRITERIA",
    "Assessment",
    "AssessmentAction",
    "AssessmentAnswer",
    "AssessmentCriterion",
    "AssessmentInvitation",
    "AssessmentStatus",
    "DepartmentDay",
    "Feedback",
    "FeedbackChannel",
    "FeedbackFollowUp",
    "Kudos",
    "MonthlyReview",
    "RelationDay",
    "ServiceDay",
    "ServiceSnapshot",
    "SummaryRun",
]
