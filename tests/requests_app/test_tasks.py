"""The tasks are enqueued by name (requests_app.enqueue, requests_app.feedback.enqueue): every name the
desk sends is a task registered in every process, and each is the task meant."""

from __future__ import annotations

import pytest

from requests_app import enqueue, tasks
from requests_app.feedback import enqueue as feedback_enqueue
from requests_app.feedback import tasks as feedback_tasks
from servicedesk.celery import app as celery_app


@pytest.mark.parametrize(
    ("name", "task"),
    [
        (enqueue.DELIVER_NOTIFICATION, tasks.deliver_notification),
        (enqueue.SLA_SWEEP, tasks.sla_sweep),
        (feedback_enqueue.DELIVER_FEEDBACK_MAIL, feedback_tasks.deliver_feedback_mail),
        (feedback_enqueue.FEEDBACK_SWEEP, feedback_tasks.feedback_sweep),
        (feedback_enqueue.SUMMARIES_REFRESH, feedback_tasks.summaries_refresh),
    ],
)
def test_every_name_the_desk_enqueues_is_a_registered_task(name: str, task: object) -> None:
    assert celery_app.tasks[name].name == task.name == name


def test_beat_sends_only_registered_tasks() -> None:
    assert {entry["task"] for entry in celery_app.conf.beat_schedule.values()} <= set(celery_app.tasks)
