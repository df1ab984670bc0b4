"""Celery tasks: short, take ids, call one service, safe to run twice.

``deliver_notification`` claims its row before sending (see
``notifications.notification_deliver``); ``sla_sweep`` inserts rows under a
unique key. A redelivered or duplicated task therefore sends nothing twice.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


@shared_task(name="requests_app.deliver_notification")
def deliver_notification(notification_id: int) -> bool:
    from .notifications import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(name="requests_app.sla_sweep")
def sla_sweep() -> dict[str, int]:
    from .health import SWEEP_HEARTBEAT, record_heartbeat
    from .sweep import sla_sweep as run_sweep

    result = run_sweep()
    record_heartbeat(SWEEP_HEARTBEAT)
    return {"requests": result.requests, "notifications": result.notifications, "requeued": result.requeued}


@shared_task(name="requests_app.feedback_sweep")
def feedback_sweep() -> dict[str, int]:
    from .feedback_sweep import feedback_sweep as run_sweep

    result = run_sweep()
    return {"closed": result.closed, "enqueued": len(result.enqueued)}


@shared_task(name="requests_app.stats_refresh")
def stats_refresh() -> float:
    from .services.stats import stats_refresh as refresh

    return refresh().seconds


@shared_task(name="requests_app.deliver_feedback_mail")
def deliver_feedback_mail(kind: str, object_id: int, number: int = 0) -> bool:
    from .feedback_mail import deliver

    return deliver(kind, object_id, number)


def enqueue_feedback_mail(kind: str, object_id: int, number: int = 0) -> None:
    """Enqueue after commit; a broker failure is logged and the next feedback sweep finds the mail again."""

    def send() -> None:
        try:
            deliver_feedback_mail.apply_async(args=(kind, object_id, number), retry=False)
        except Exception:  # any broker failure must not reach the person who acted
            logger.exception("Could not enqueue %s mail for %s; the next feedback sweep will retry", kind, object_id)

    transaction.on_commit(send)
