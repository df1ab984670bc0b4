"""Pages: look up with a permission helper, validate a form, call one service, render or redirect."""

from .catalog import catalog, service_detail
from .profile import api_token_create, api_token_revoke, profile, reading_set
from .queue import availability, queue, queue_bulk, saved_view_create, saved_view_delete
from .request_page import (
    attachment_download,
    canned_response_list,
    canned_response_text,
    my_requests,
    request_assign,
    request_cancel,
    request_claim,
    request_detail,
    request_priority,
    request_promise,
    request_reply,
    request_resolve,
    request_status,
    request_transfer,
    request_watcher_add,
    request_watcher_remove,
)

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "attachment_download",
    "availability",
    "canned_response_list",
    "canned_response_text",
    "catalog",
    "my_requests",
    "profile",
    "queue",
    "queue_bulk",
    "reading_set",
    "request_assign",
    "request_cancel",
    "request_claim",
    "request_detail",
    "request_priority",
    "request_promise",
    "request_reply",
    "request_resolve",
    "request_status",
    "request_transfer",
    "request_watcher_add",
    "request_watcher_remove",
    "saved_view_create",
    "saved_view_delete",
    "service_detail",
]
