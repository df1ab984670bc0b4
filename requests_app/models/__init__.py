"""Service requests, their conversation, attachments, history and triage (the feedback loop's models
are in ``requests_app.feedback``).

Models hold fields, constraints and cheap properties only; every write goes
through ``requests_app.services`` so that each change records its event.
"""

from .conversation import Attachment, Comment, attachment_path
from .history import EventKind, RequestEvent
from .ops import SWEEP_HEARTBEAT, Heartbeat
from .outbox import Clock, FollowUpPromise, Notification, NotificationKind
from .requests import ACTIVE_STATUSES, FINAL_STATUSES, ServiceRequest, Status
from .tokens import ApiToken
from .triage import Handoff, RequestSearch, SavedView, Watcher

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "SWEEP_HEARTBEAT",
    "ApiToken",
    "Attachment",
    "Clock",
    "Comment",
    "EventKind",
    "FollowUpPromise",
    "Handoff",
    "Heartbeat",
    "Notification",
    "NotificationKind",
    "RequestEvent",
    "RequestSearch",
    "SavedView",
    "ServiceRequest",
    "Status",
    "Watcher",
    "attachment_path",
]
