"""Structured logs: one JSON object per line in production, each carrying who and what it is about.

Every log record gets ``request_id`` (from the ``X-Request-ID`` header a proxy sets, or a new one), the
signed-in ``user_id``, and the ``reference`` of the service request being worked on when there is one.
The request id travels with the Celery tasks a web request enqueues (a message header), so a worker's
lines about an email can be found with the line of the click that caused it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)
reference_var: ContextVar[str] = ContextVar("reference", default="")

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def bind_reference(reference: str) -> None:
    """The service request this unit of work is about (its log lines say so)."""
    reference_var.set(reference)


def new_request_id() -> str:
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds the current request id, user id and reference to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        record.reference = reference_var.get()
        task = _current_task()
        record.task_id = getattr(getattr(task, "request", None), "id", None) or ""
        record.task_name = getattr(task, "name", "") if record.task_id else ""
        return True


def _current_task() -> Any:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - Celery is a dependency; logs work without it all the same
        return None
    return current_task if current_task and getattr(current_task.request, "id", None) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "user_id", "reference"):
            value = getattr(record, key, None)
            if value not in (None, ""):
                data[key] = value
        for key in ("task_id", "task_name"):
            value = getattr(record, key, None)
            if value:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class RequestContextMiddleware:
    """Sets the request id (and answers it in ``X-Request-ID``) and the user id for the request's logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else new_request_id()
        tokens = [request_id_var.set(request_id), reference_var.set("")]
        user_token = user_id_var.set(None)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_id_var.set(user.pk)
            response = self.get_response(request)
        finally:
            user_id_var.reset(user_token)
            for token in tokens:
                token.var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        """After the API's own sign-in (tokens) the user is known only in the view; sessions are known here."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(user.pk)


def add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: the task inherits the request id of the web request that enqueued it."""
    if headers is not None and request_id_var.get():
        headers.setdefault("request_id", request_id_var.get())


def enter_task(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: the task's lines carry the enqueuing request's id (or the task's own)."""
    incoming = getattr(task.request, "request_id", None) if task is not None else None
    request_id_var.set(incoming or task_id)
    reference_var.set("")
    user_id_var.set(None)


def leave_task(**kwargs: Any) -> None:
    """``task_postrun``: a worker process runs many tasks; none inherits the previous one's context."""
    request_id_var.set("")
    reference_var.set("")


def connect_celery(app: Any) -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(add_request_id, weak=False)
    task_prerun.connect(enter_task, weak=False)
    task_postrun.connect(leave_task, weak=False)
