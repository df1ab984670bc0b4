"""Celery tasks: short, take ids, call one service, safe to run twice.

``deliver_notification`` claims its row before sending (see
``notifications.notification_deliver``); ``sla_sweep`` inserts rows under a
unique key. A redelivered or duplicated task therefore sends nothing twice.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="requests_app.deliver_notification")
def deliver_notification(notification_id: int) -> bool:
    from .notifications import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(name="requests_app.sla_sweep")
def sla_sweep() -> dict[str, int]:
    from .sweep import sla_sweep as run_sweep

    result = run_sweep()
    return {"requests": result.requests, "notifications": result.notifications, "requeued": result.requeued}
