"""Service requests, their conversation, attachments, history and triage.

Models hold fields, constraints and cheap properties only; every write goes
through ``requests_app.services`` so that each change records its event.
"""

from .conversation import Attachment, Comment, attachment_path
from .feedback import (
    Assessment,
    AssessmentAction,
    AssessmentAnswer,
    AssessmentCriterion,
    AssessmentInvitation,
    AssessmentStatus,
    Feedback,
    FeedbackChannel,
    FeedbackFollowUp,
    Kudos,
)
from .history import EventKind, RequestEvent
from .ops import Heartbeat
from .outbox import Clock, FollowUpPromise, Notification, NotificationKind
from .requests import ACTIVE_STATUSES, FINAL_STATUSES, ServiceRequest, Status
from .stats import DepartmentDay, MonthlyReview, RelationDay, ServiceDay, ServiceSnapshot, StatsRun
from .tokens import ApiToken
from .triage import Handoff, RequestSearch, SavedView, Watcher

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "ApiToken",
    "Assessment",
    "AssessmentAction",
    "AssessmentAnswer",
    "AssessmentCriterion",
    "AssessmentInvitation",
    "AssessmentStatus",
    "Attachment",
    "Clock",
    "Comment",
    "DepartmentDay",
    "EventKind",
    "Feedback",
    "FeedbackChannel",
    "FeedbackFollowUp",
    "FollowUpPromise",
    "Handoff",
    "Heartbeat",
    "Kudos",
    "MonthlyReview",
    "Notification",
    "NotificationKind",
    "RelationDay",
    "RequestEvent",
    "RequestSearch",
    "SavedView",
    "ServiceDay",
    "ServiceRequest",
    "ServiceSnapshot",
    "StatsRun",
    "Status",
    "Watcher",
    "attachment_path",
]
