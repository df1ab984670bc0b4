"""The one place the feedback loop hands work to Celery (see ``requests_app.enqueue``)."""

from __future__ import annotations

from requests_app import enqueue

# Task names are what travels in the broker's messages: these are the names the tasks had before the
# feedback loop became an app of its own, so messages queued before an upgrade still find their task.
FEEDBACK_SWEEP = "requests_app.feedback_sweep"
SUMMARIES_REFRESH = "requests_app.stats_refresh"
DELIVER_FEEDBACK_MAIL = "requests_app.deliver_feedback_mail"


def feedback_mail(kind: str, object_id: int, number: int = 0) -> None:
    """After commit; if the broker is down, the next feedback sweep finds the mail again."""
    enqueue.after_commit(DELIVER_FEEDBACK_MAIL, (kind, object_id, number), what=f"{kind} mail for {object_id}")
