"""Celery tasks: leaves that take ids, call one service, and are safe to run twice.

``deliver_notification`` claims its row before sending (``services.notifications.notification_deliver``);
the SLA sweep inserts rows under a unique key. A redelivered or duplicated task therefore sends
nothing twice. Work is enqueued by ``requests_app.enqueue``, after commit, by these names.
"""

from __future__ import annotations

from celery import shared_task

from . import enqueue
from .services.notifications import notification_deliver
from .services.sweep import sla_sweep_scheduled


@shared_task(name=enqueue.DELIVER_NOTIFICATION)
def deliver_notification(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)


@shared_task(name=enqueue.SLA_SWEEP)
def sla_sweep() -> dict[str, int]:
    result = sla_sweep_scheduled()
    return {"requests": result.requests, "notifications": result.notifications, "requeued": result.requeued}
