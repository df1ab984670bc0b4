"""The feedback loop's Celery tasks, and the one place that enqueues them (see ``requests_app.tasks``:
tasks take ids, call one service, are safe to run twice; services import this module at its top).

A task's name is what travels in the broker's messages: the names are those the tasks had before the
feedback loop became an app of its own, so messages queued before an upgrade still find their task."""

from __future__ import annotations

from celery import shared_task

from requests_app.tasks import enqueue_after_commit


@shared_task(name="requests_app.feedback_sweep")
def feedback_sweep() -> dict[str, int]:
    from .services.sweep import feedback_sweep as run_sweep

    result = run_sweep()
    return {"closed": result.closed, "enqueued": len(result.enqueued)}


@shared_task(name="requests_app.stats_refresh")
def summaries_refresh() -> float:
    from .services.summaries import summaries_refresh as refresh

    return refresh().seconds


@shared_task(name="requests_app.deliver_feedback_mail")
def deliver_feedback_mail(kind: str, object_id: int, number: int = 0) -> bool:
    from .services.deliveries import deliver

    return deliver(kind, object_id, number)


def enqueue_feedback_mail(kind: str, object_id: int, number: int = 0) -> None:
    """After commit; if the broker is down, the next feedback sweep finds the mail again."""
    enqueue_after_commit(deliver_feedback_mail, (kind, object_id, number), f"{kind} mail for {object_id}")
