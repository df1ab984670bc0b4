"""Celery tasks, and the one place that enqueues them.

Tasks are leaves: short, they take ids, call one service and are safe to run twice.
``deliver_notification`` claims its row before sending (``services.notifications.notification_deliver``);
the SLA sweep inserts rows under a unique key. A redelivered or duplicated task therefore sends
nothing twice. Services import this module at its top and call ``enqueue_*``; the tasks import the
services inside their bodies, so a worker loads the services only when it runs a task, and this
module stays below the services in the import graph.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(task: Task, args: tuple[Any, ...], what: str) -> None:
    """Send ``task`` once the surrounding transaction commits (never before the data is there).

    A broker failure is logged, never raised to the person who acted: filing and replying succeed
    without the broker, and the next sweep finds whatever was not delivered.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # any broker failure must not reach the person who acted
            logger.exception("Could not enqueue %s; the next sweep will retry", what)

    transaction.on_commit(send)


def enqueue_delivery(notification_id: int) -> None:
    enqueue_after_commit(deliver_notification, (notification_id,), f"notification {notification_id}")


@shared_task(name="requests_app.deliver_notification")
def deliver_notification(notification_id: int) -> bool:
    from .services.notifications import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(name="requests_app.sla_sweep")
def sla_sweep() -> dict[str, int]:
    from .services.sweep import sla_sweep_scheduled

    result = sla_sweep_scheduled()
    return {"requests": result.requests, "notifications": result.notifications, "requeued": result.requeued}
