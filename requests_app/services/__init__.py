"""Every write to service requests, each recording its ``RequestEvent``.

Invariants kept here and nowhere else:
- status changes follow ``ALLOWED_TRANSITIONS``; anything else raises
  ``TransitionNotAllowed`` and changes nothing;
- a status change is a conditional UPDATE on the status the caller saw, so two
  people acting at once cannot both win: the loser gets ``ConcurrentChange``;
- notifications are outbox rows written in the same transaction; their
  delivery is enqueued with ``transaction.on_commit`` and a broker failure is
  logged, never raised to the person who filed or replied (the SLA sweep
  hands out whatever was not delivered);
- SLA clocks move with every status and priority change (``_move_clocks``).
"""

from ._common import ALLOWED_TRANSITIONS, ConcurrentChange, TransitionNotAllowed, attachments_check, record
from .conversation import comment_add, promise_make
from .filing import request_file
from .tokens import api_token_authenticate, api_token_create, api_token_revoke
from .triage import (
    BulkAction,
    BulkResult,
    membership_set_available,
    request_transfer,
    requests_bulk_change,
    saved_view_create,
    saved_view_delete,
    watcher_add,
    watcher_remove,
)
from .workflow import (
    request_assign,
    request_cancel,
    request_change_priority,
    request_change_status,
    request_claim,
    request_resolve,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "BulkAction",
    "BulkResult",
    "ConcurrentChange",
    "TransitionNotAllowed",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "attachments_check",
    "comment_add",
    "membership_set_available",
    "promise_make",
    "record",
    "request_assign",
    "request_cancel",
    "request_change_priority",
    "request_change_status",
    "request_claim",
    "request_file",
    "request_resolve",
    "request_transfer",
    "requests_bulk_change",
    "saved_view_create",
    "saved_view_delete",
    "watcher_add",
    "watcher_remove",
]
