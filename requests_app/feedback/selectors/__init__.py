"""Reads of the feedback loop for its pages: thanks, assessment results, dashboards."""

from .assessments import (
    AssessmentResults,
    CriterionResult,
    GroupSummary,
    assessment_results,
    open_assessments_for,
    weak_criteria,
)
from .thanks import Board, kudos_received, quarter_start, recognition_board, request_kudos, thankable

__all__ = [
    "AssessmentResults",
    "Board",
    "CriterionResult",
    "GroupSummary",
    "assessment_results",
    "kudos_received",
    "open_assessments_for",
    "quarter_start",
    "recognition_board",
    "request_kudos",
    "thankable",
    "weak_criteria",
]
