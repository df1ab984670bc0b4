"""Exactly once, with a real Celery worker and a real Redis broker.

Each test starts a private Redis and a prefork worker on the PostgreSQL test database; the
worker writes its mail to files, one ``X-Servicedesk-Notification`` header per message, so a
test can count what each outbox row actually sent. Time is data: requests are moved into the
past in the database so that a warning threshold is already behind them.

Kills are timed by PostgreSQL locks rather than by luck: a lock held from a connection of the
test's own stops the worker at a chosen point (inside the sweep's transaction, or inside a
delivery after its claim), and the test sends SIGKILL while the worker waits there.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Model
from django.utils import timezone

from departments.models import Service
from requests_app import services, tasks
from requests_app.models import Notification, NotificationKind, ServiceRequest
from requests_app.services import sweep
from servicedesk.celery import app as celery_app
from tests import factories
from tests.integration.conftest import CeleryWorker, RedisServer, wait_until

pytestmark = pytest.mark.integration

REQUESTS = 200


@dataclass
class Desk:
    service: Service
    agent: Any
    requester: Any


def make_desk() -> Desk:
    """A 24/7 department: a one-hour first response, business time that is wall time, mail at any hour."""
    calendar = factories.make_calendar("Always", time_zone="UTC", hours=(0, 24), weekdays=range(7))
    policy = factories.make_policy("Round the clock", normal=(60, 600))
    policy.round_the_clock = True
    policy.save(update_fields=["round_the_clock"])
    department = factories.make_department("IT", "IT", calendar=calendar, default_sla_policy=policy)
    service = factories.make_service(department, "Laptop replacement", sla_policy=policy)
    agent = factories.make_user("agent")
    factories.add_member(agent, department)
    return Desk(service=service, agent=agent, requester=factories.make_user("requester"))


@contextmanager
def deliveries_in_this_process() -> Iterator[None]:
    """Setup data's own mail (the new-request notices) goes out here, not through the worker under test."""
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False


def file_requests(desk: Desk, count: int) -> list[int]:
    with deliveries_in_this_process():
        return [factories.make_request(desk.service, desk.requester, title=f"Laptop {n}").pk for n in range(count)]


def move_past_the_warning(request_ids: list[int], assignee: Any) -> None:
    """Filed 50 minutes ago on a 60-minute target: the 75% warning (minute 45) is due, the breach is not."""
    now = timezone.now()
    filed = now - timedelta(minutes=50)
    ServiceRequest.objects.filter(pk__in=request_ids).update(
        assignee=assignee,
        created_at=filed,
        first_response_running_since=filed,
        resolution_running_since=filed,
        first_response_due_at=filed + timedelta(minutes=60),
        resolution_due_at=filed + timedelta(minutes=600),
        next_due_at=filed + timedelta(minutes=60),
        sla_next_check_at=now,
    )


def warnings() -> Any:
    return Notification.objects.filter(kind=NotificationKind.SLA_WARNING)


@contextmanager
def table_locked(model: type[Model], mode: str) -> Iterator[None]:
    """Hold a table lock from a PostgreSQL session of our own, as a concurrent transaction would."""
    side = connection.get_new_connection(connection.get_connection_params())
    try:
        with side.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {model._meta.db_table} IN {mode} MODE")
        yield
    finally:
        side.rollback()
        side.close()


def someone_waits_for(model: type[Model]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation "
            "WHERE NOT pg_locks.granted AND pg_class.relname = %s",
            [model._meta.db_table],
        )
        return cursor.fetchone()[0] > 0


def test_a_request_passing_its_warning_threshold_gets_exactly_one_warning_email(
    celery_worker_process: CeleryWorker,
) -> None:
    worker = celery_worker_process
    desk = make_desk()
    [request_id] = file_requests(desk, 1)
    move_past_the_warning([request_id], assignee=desk.agent)

    tasks.sla_sweep.delay()
    tasks.sla_sweep.delay()
    sweep.sla_sweep()  # a third, here, racing the worker's two

    warning = wait_until(lambda: warnings().filter(request_id=request_id).first(), 30, "the warning row")
    wait_until(lambda: worker.emails()[warning.pk], 30, "the warning email")
    worker.wait_until_idle()

    assert worker.emails() == {warning.pk: 1}, worker.log()[-3000:]
    warning.refresh_from_db()
    assert warning.sent_at is not None
    assert warning.attempts == 1
    assert warning.recipients == desk.agent.email
    assert warnings().filter(request_id=request_id).count() == 1


def test_worker_killed_during_a_sweep_still_sends_each_reminder_exactly_once(
    celery_worker_process: CeleryWorker,
) -> None:
    worker = celery_worker_process
    desk = make_desk()
    request_ids = file_requests(desk, REQUESTS)
    move_past_the_warning(request_ids, assignee=desk.agent)

    # Kill 1: inside the sweep's transaction, its requests locked, while its insert of the warnings waits.
    with table_locked(Notification, "SHARE"):
        tasks.sla_sweep.delay()
        wait_until(lambda: someone_waits_for(Notification), 30, "the sweep to reach its insert")
        worker.kill(signal.SIGKILL)
    assert not warnings().exists(), "a killed sweep committed its warnings"

    worker.start()
    tasks.sla_sweep.delay()
    # Kill 2: deliveries under way; the next one stops after claiming its row and before sending.
    wait_until(worker.emails, 30, "the first warning email")
    with table_locked(ServiceRequest, "ACCESS EXCLUSIVE"):
        wait_until(lambda: someone_waits_for(ServiceRequest), 30, "a delivery to read its request")
        worker.kill(signal.SIGKILL)
    claimed_unsent = list(warnings().filter(claimed_at__isnull=False, sent_at__isnull=True))
    assert len(claimed_unsent) == 1, "the kill was meant to land between a claim and its email"
    stale = claimed_unsent[0]
    sent_before_the_kill = sum(worker.emails().values())

    worker.start()
    last_sweep = 0.0

    def everything_sent() -> bool:
        """Sweep again whenever the worker has nothing left to do: stale claims come back after the lease."""
        nonlocal last_sweep
        if not warnings().filter(sent_at__isnull=True).exists():
            return True
        if worker.broker_is_idle() and time.monotonic() - last_sweep > 1:
            tasks.sla_sweep.delay()
            last_sweep = time.monotonic()
        return False

    wait_until(everything_sent, 90, "every warning to be sent")
    worker.wait_until_idle()

    emails = worker.emails()
    ids = set(warnings().values_list("pk", flat=True))
    assert len(ids) == REQUESTS
    assert not warnings().values("request").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert {pk: emails[pk] for pk in ids if emails[pk] != 1} == {}, f"sent {sent_before_the_kill} before kill 2"
    assert set(emails) == ids
    stale.refresh_from_db()
    assert stale.attempts == 2  # claimed by the killed worker, then again after its lease ran out


def test_filing_with_redis_stopped_saves_the_request_and_notifications_arrive_after_the_next_sweep(
    celery_worker_process: CeleryWorker, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    worker = celery_worker_process
    desk = make_desk()
    conf = celery_app.conf
    assert not conf.task_always_eager
    assert conf.broker_url == redis_server.url
    assert conf.broker_connection_timeout <= 2
    assert not conf.task_publish_retry

    redis_server.stop()
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="requests_app.tasks"):
        service_request = services.request_file(
            service=desk.service, requester=desk.requester, title="Laptop will not boot", values={}
        )
    filing_seconds = time.monotonic() - started

    assert filing_seconds < 6, f"filing took {filing_seconds:.1f} s with the broker down"
    assert "Could not enqueue notification" in caplog.text
    assert ServiceRequest.objects.filter(pk=service_request.pk).exists()
    notice = Notification.objects.get(request=service_request, kind=NotificationKind.REQUEST_FILED)
    assert notice.sent_at is None
    assert notice.claimed_at is None

    redis_server.start()  # empty: whatever the old one held is gone
    tasks.sla_sweep.delay()  # waits in Redis until the worker has reconnected (it backs off 2 s, 4 s, ...)
    wait_until(lambda: worker.emails()[notice.pk], 60, "the new-request email")
    worker.wait_until_idle()

    assert worker.emails() == {notice.pk: 1}
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert notice.recipients == desk.agent.email
