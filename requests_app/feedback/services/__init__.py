"""Every write of the feedback loop, each recording its ``RequestEvent`` where it concerns a request."""

from .assessments import (
    assessment_action_add,
    assessment_action_done,
    assessment_answer,
    assessment_close,
    assessment_start,
)
from .ratings import feedback_add_comment, feedback_give, follow_up_close, kudos_give

__all__ = [
    "assessment_action_add",
    "assessment_action_done",
    "assessment_answer",
    "assessment_close",
    "assessment_start",
    "feedback_add_comment",
    "feedback_give",
    "follow_up_close",
    "kudos_give",
]
