"""Structured logs: JSON lines in production carrying the request id, user id and request reference."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from contextvars import copy_context
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from requests_app import services
from requests_app.permissions import get_request_for_user
from servicedesk import logs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def captured() -> Any:
    """The lines a JSON handler with the context filter writes for the ``servicedesk.test`` logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("servicedesk.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def run_middleware(request: Any, view: Any) -> HttpResponse:
    return copy_context().run(lambda: logs.RequestContextMiddleware(view)(request))


def test_a_request_gets_an_id_that_its_log_lines_and_response_carry(captured):
    def view(request: Any) -> HttpResponse:
        logging.getLogger("servicedesk.test").info("working")
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = SimpleNamespace(is_authenticated=True, pk=42)

    response = run_middleware(request, view)

    (line,) = captured()
    assert line["message"] == "working"
    assert line["level"] == "INFO"
    assert line["user_id"] == 42
    assert len(line["request_id"]) == 32
    assert response["X-Request-ID"] == line["request_id"]


def test_a_proxy_request_id_is_kept_and_a_malformed_one_replaced(captured):
    def view(request: Any) -> HttpResponse:
        logging.getLogger("servicedesk.test").info("hi")
        return HttpResponse()

    good = RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-1234")
    bad = RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    run_middleware(good, view)
    run_middleware(bad, view)

    first, second = captured()
    assert first["request_id"] == "lb-1234"
    assert second["request_id"] != "<script>alert(1)</script>"
    assert "user_id" not in first  # anonymous


def test_looking_up_a_request_binds_its_reference_to_the_log_lines(world, captured):
    sr = services.request_file(service=world.certificate, requester=world.requester, title="Cert", values={})

    def look_up() -> None:
        get_request_for_user(world.requester, sr.reference)
        logging.getLogger("servicedesk.test").warning("looked")

    copy_context().run(look_up)

    assert captured()[0]["reference"] == sr.reference


def test_an_exception_is_logged_as_one_json_line(captured):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("servicedesk.test").exception("failed")

    (line,) = captured()
    assert line["message"] == "failed"
    assert "ValueError: broken" in line["exception"]


def test_a_task_inherits_the_request_id_of_the_request_that_enqueued_it():
    headers: dict[str, Any] = {}

    def publish_then_run() -> tuple[str, str]:
        logs.request_id_var.set("req-7")
        logs.add_request_id(headers=headers)
        logs.request_id_var.set("")
        task = SimpleNamespace(request=SimpleNamespace(request_id=headers["request_id"]))
        logs.enter_task(task_id="task-1", task=task)
        inside = logs.request_id_var.get()
        logs.leave_task()
        return inside, logs.request_id_var.get()

    inside, after = copy_context().run(publish_then_run)

    assert headers == {"request_id": "req-7"}
    assert inside == "req-7"
    assert after == ""


def test_a_task_without_a_request_logs_under_its_own_id():
    def run() -> str:
        logs.enter_task(task_id="task-9", task=SimpleNamespace(request=SimpleNamespace()))
        return logs.request_id_var.get()

    assert copy_context().run(run) == "task-9"


def test_production_logs_are_json_lines_and_development_logs_plain():
    code = "import servicedesk.settings as s; print(s.LOGGING['handlers']['console']['formatter'])"
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SERVICEDESK_ENV", "LOG_FORMAT"}}

    production = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **env,
            "SERVICEDESK_ENV": "production",
            "SECRET_KEY": "kR7-x9Qp2Lm4Zt8Vb1Nc6Hs3Jd5Wf0Ye_gUoIaEiTrPqSlMnBvCxZaQwErTyUiOp",
        },
        capture_output=True,
        text=True,
    )
    development = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert production.stdout.strip() == "json", production.stderr
    assert development.stdout.strip() == "plain", development.stderr
