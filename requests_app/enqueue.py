"""The one place the core hands work to Celery: after commit, by task name, never raising.

Services import this module; the tasks (``requests_app.tasks``) import the services. Naming the task
instead of importing it keeps the arrows one way (tasks -> services -> enqueue), so no module imports
another inside a function to dodge a cycle. The names are checked against the worker's registry by
``tests/requests_app/test_tasks.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

DELIVER_NOTIFICATION = "requests_app.deliver_notification"
SLA_SWEEP = "requests_app.sla_sweep"


def after_commit(task_name: str, args: tuple[Any, ...], *, what: str) -> None:
    """Send the task once the surrounding transaction commits (never before the data is there).

    A broker failure is logged, never raised to the person who acted: filing and replying succeed
    without the broker, and the next sweep finds whatever was not delivered.
    """

    def send() -> None:
        try:
            current_app.tasks[task_name].apply_async(args=args, retry=False)
        except Exception:  # any broker failure must not reach the person who acted
            logger.exception("Could not enqueue %s; the next sweep will retry", what)

    transaction.on_commit(send)


def notification_delivery(notification_id: int) -> None:
    after_commit(DELIVER_NOTIFICATION, (notification_id,), what=f"notification {notification_id}")
