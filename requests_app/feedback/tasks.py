"""The feedback loop's Celery tasks: leaves that take ids, call one service, are safe to run twice.
Work is enqueued by ``requests_app.feedback.enqueue``, by these names."""

from __future__ import annotations

from celery import shared_task

from . import enqueue
from .services.deliveries import deliver
from .services.summaries import summaries_refresh as refresh
from .services.sweep import feedback_sweep as run_sweep


@shared_task(name=enqueue.FEEDBACK_SWEEP)
def feedback_sweep() -> dict[str, int]:
    result = run_sweep()
    return {"closed": result.closed, "enqueued": len(result.enqueued)}


@shared_task(name=enqueue.SUMMARIES_REFRESH)
def summaries_refresh() -> float:
    return refresh().seconds


@shared_task(name=enqueue.DELIVER_FEEDBACK_MAIL)
def deliver_feedback_mail(kind: str, object_id: int, number: int = 0) -> bool:
    return deliver(kind, object_id, number)
