"""The notification outbox: create rows exactly once, deliver each exactly once.

Creating: every message is a ``Notification`` row written in the transaction
of the change that causes it, under a unique key. The sweep inserts its rows
with ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, so only the sweep that
actually created a row acts on it (writes the history event, enqueues the
delivery), however many sweeps run at once or run again.

Delivering: ``notification_deliver`` claims the row with a conditional UPDATE
(unsent, and unclaimed or claimed longer ago than the lease) that must change
exactly one row, sends, then marks it sent. A worker killed between claim and
send leaves a stale claim that the sweep hands out again after the lease.
A worker killed between send and mark could send twice: SMTP has no
transactions, and that window is the few microseconds after ``send()``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from servicedesk.logs import bind_reference

from .. import emails, enqueue
from ..models import Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewNotification:
    request_id: int
    kind: str
    send_after: datetime
    clock: str = ""
    threshold: int = 0
    generation: int = 0
    subject_id: int = 0


def notification_create(
    *, request_id: int, kind: str, subject_id: int = 0, generation: int = 0, now: datetime | None = None
) -> Notification:
    """An immediate message (new request, public reply, resolution), sent as soon as the change commits."""
    now = now or timezone.now()
    notification = Notification.objects.create(
        request_id=request_id, kind=kind, subject_id=subject_id, generation=generation, send_after=now
    )
    enqueue.notification_delivery(notification.pk)
    return notification


def notifications_insert_new(rows: Sequence[NewNotification], now: datetime) -> dict[tuple, int]:
    """Insert the rows that do not exist yet; return {key: id} for those this call created.

    One statement for the whole batch. The key is (request_id, kind, clock,
    threshold, generation, subject_id), the unique constraint's columns.
    """
    if not rows:
        return {}
    table = Notification._meta.db_table
    columns = "request_id, kind, clock, threshold, generation, subject_id, created_at, send_after, attempts, recipients"
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, 0, '')"] * len(rows))
    # Datetimes go in as the ORM writes them (on SQLite: naive UTC text), or later lookups compare wrongly.
    adapt = connection.ops.adapt_datetimefield_value
    params: list[object] = []
    for r in rows:
        params += [r.request_id, r.kind, r.clock, r.threshold, r.generation, r.subject_id]
        params += [adapt(now), adapt(r.send_after)]
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {placeholders} "  # noqa: S608 - fixed columns, values bound
        "ON CONFLICT (request_id, kind, clock, threshold, generation, subject_id) DO NOTHING "
        "RETURNING id, request_id, kind, clock, threshold, generation, subject_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    return {tuple(row[1:]): row[0] for row in returned}


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send one notification if nobody else holds it; True if this call sent it."""
    now = now or timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_lease()))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related(
        "request__requester", "request__assignee", "request__department", "request__service"
    ).get(pk=notification_id)
    bind_reference(notification.request.reference)
    recipients = emails.send_notification(notification)
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), recipients=", ".join(recipients))
    return True


def notifications_requeue_lost(*, now: datetime, limit: int = 500) -> int:
    """Enqueue deliveries that are due but were never handed out, or whose claim went stale.

    Rows younger than a short grace period are left alone: their own
    on-commit enqueue is still on its way.
    """
    grace = timedelta(seconds=settings.NOTIFICATION_REQUEUE_GRACE_SECONDS)
    lost = (
        Notification.objects.filter(sent_at__isnull=True, send_after__lte=now)
        .filter(Q(claimed_at__isnull=True, created_at__lt=now - grace) | Q(claimed_at__lt=now - claim_lease()))
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(lost)
    for notification_id in ids:
        enqueue.notification_delivery(notification_id)
    return len(ids)
