"""The SLA sweep: act on what fell due, in bounded batches selected by one index.

Cost follows what is due, not what is open: the batch query reads
``sla_next_check_at <= now`` through the partial index on that column, and a
request with nothing pending has NULL there and is never read. Each batch is
one transaction; rows are locked with SKIP LOCKED on PostgreSQL so two
sweeps running at once (a slow sweep overlapping the next beat tick) split
the work instead of doubling it. The notification rows' unique key makes a
rerun after a crash harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone, translation

from .. import clocks, enqueue
from ..clocks import Due
from ..models import (
    SWEEP_HEARTBEAT,
    EventKind,
    FollowUpPromise,
    Heartbeat,
    NotificationKind,
    RequestEvent,
    ServiceRequest,
)
from . import notifications
from .conversation import promise_mark_missed
from .workflow import request_auto_close

logger = logging.getLogger(__name__)

EVENT_FOR_KIND = {
    NotificationKind.SLA_WARNING: EventKind.SLA_WARNING,
    NotificationKind.SLA_BREACH: EventKind.SLA_BREACH,
    NotificationKind.REQUESTER_REMINDER: EventKind.REQUESTER_REMINDED,
    NotificationKind.AUTO_CLOSE_WARNING: EventKind.AUTO_CLOSE_WARNING,
    NotificationKind.AUTO_CLOSED: EventKind.AUTO_CLOSED,
    NotificationKind.FEEDBACK_REQUEST: EventKind.FEEDBACK_REQUESTED,
    NotificationKind.PROMISE_REMINDER: EventKind.PROMISE_REMINDER,
    NotificationKind.PROMISE_MISSED: EventKind.PROMISE_MISSED,
}

SWEEP_FIELDS = ["sla_next_check_at", "first_response_breached_at", "resolution_breached_at"]


@dataclass
class SweepResult:
    requests: int = 0
    notifications: int = 0
    requeued: int = 0
    batches: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def _due_batch(now: datetime, batch_size: int) -> list[ServiceRequest]:
    # The sweep needs the clocks, not what people wrote: leaving the text and the JSON field values
    # unread keeps a batch cheap to fetch and to turn into objects.
    qs = (
        ServiceRequest.objects.filter(sla_next_check_at__lte=now)
        .order_by("sla_next_check_at")
        .defer("title", "values", "resolution_note")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch_size])


def _describe(due: Due) -> str:
    """What fell due, in the words the history stores: stored text, so English whatever language is active."""
    if due.kind == NotificationKind.SLA_WARNING:
        return f"{due.threshold}% of the {due.clock.replace('_', ' ')} target used"
    if due.kind == NotificationKind.SLA_BREACH:
        return f"{due.clock.replace('_', ' ')} target missed"
    with translation.override(None):
        return str(NotificationKind(due.kind).label)


def sweep_batch(now: datetime, batch_size: int, result: SweepResult) -> int:
    """One transaction: handle what is due for up to ``batch_size`` requests; return how many were read."""
    with transaction.atomic():
        batch = _due_batch(now, batch_size)
        if not batch:
            return 0
        config = clocks.SLAConfig({sr.service_id for sr in batch})
        promises: dict[int, list[FollowUpPromise]] = {sr.pk: [] for sr in batch}
        for promise in FollowUpPromise.objects.filter(
            request_id__in=promises.keys(), kept_at=None, missed_at=None, withdrawn_at=None
        ):
            promises[promise.request_id].append(promise)

        rows: list[notifications.NewNotification] = []
        due_by_key: dict[tuple, tuple[ServiceRequest, Due, notifications.NewNotification]] = {}
        for sr in batch:
            items = clocks.schedule(sr, config, promises[sr.pk])
            for due in (d for d in items if d.instant <= now):
                row = notifications.NewNotification(
                    request_id=sr.pk,
                    kind=due.kind,
                    send_after=clocks.send_after(due, sr, config, now),
                    clock=due.clock,
                    threshold=due.threshold,
                    generation=due.generation,
                    subject_id=due.subject_id,
                )
                rows.append(row)
                key = (sr.pk, row.kind, row.clock, row.threshold, row.generation, row.subject_id)
                due_by_key[key] = (sr, due, row)
                if due.kind == NotificationKind.SLA_BREACH:
                    # Recorded at once, whatever the hour; only the escalation email waits.
                    setattr(sr, f"{due.clock}_breached_at", due.instant)
            later = [d.instant for d in items if d.instant > now]
            sr.sla_next_check_at = min(later, default=None)

        created = notifications.notifications_insert_new(rows, now)
        events = []
        follow_ups: list[tuple[ServiceRequest, Due]] = []
        for key, notification_id in created.items():
            sr, due, row = due_by_key[key]
            text = _describe(due)
            events.append(
                RequestEvent(
                    request=sr,
                    actor=None,
                    kind=EVENT_FOR_KIND[due.kind],
                    to_value=text,
                    internal=due.kind in clocks.STAFF_KINDS,
                )
            )
            result.kinds[due.kind] = result.kinds.get(due.kind, 0) + 1
            if due.kind in (NotificationKind.AUTO_CLOSED, NotificationKind.PROMISE_MISSED):
                follow_ups.append((sr, due))
            if row.send_after <= now:
                enqueue.notification_delivery(notification_id)
            # else: postponed to working hours; the sweep hands it out when its time comes.
        RequestEvent.objects.bulk_create(events)
        _save_sweep_fields(batch)
        for sr, due in follow_ups:
            _follow_up(sr, due, config, now)
        result.requests += len(batch)
        result.notifications += len(created)
        result.batches += 1
        return len(batch)


def _save_sweep_fields(batch: list[ServiceRequest]) -> None:
    """Write what the sweep changed (``SWEEP_FIELDS``) for the whole batch in one statement.

    ``bulk_update`` builds a ``CASE WHEN id = ... THEN ...`` expression per row and field (1,500 for a
    batch of 500), and resolving them costs more Python time than everything else the sweep does;
    PostgreSQL takes the new values as arrays instead. The rows are locked by ``_due_batch``
    (FOR UPDATE), so nobody changed them since they were read.
    """
    if connection.vendor != "postgresql":
        ServiceRequest.objects.bulk_update(batch, SWEEP_FIELDS)
        return
    table = ServiceRequest._meta.db_table
    assignments = ", ".join(f"{name} = v.{name}" for name in SWEEP_FIELDS)
    arrays = ", ".join(["%s::timestamptz[]"] * len(SWEEP_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET {assignments} "  # noqa: S608 - fixed column names, values bound
            f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(SWEEP_FIELDS)}) WHERE r.id = v.id",
            [[sr.pk for sr in batch], *([getattr(sr, name) for sr in batch] for name in SWEEP_FIELDS)],
        )


def _follow_up(service_request: ServiceRequest, due: Due, config: clocks.SLAConfig, now: datetime) -> None:
    """State changes that come with a notification: auto-close, a missed promise."""
    if due.kind == NotificationKind.AUTO_CLOSED:
        request_auto_close(service_request=service_request, now=now, config=config)
    elif due.kind == NotificationKind.PROMISE_MISSED:
        promise_mark_missed(promise_id=due.subject_id, now=now)


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 50) -> SweepResult:
    """Handle everything due at ``now``, then hand out deliveries that were lost or postponed."""
    now = now or timezone.now()
    result = SweepResult()
    for _ in range(max_batches):
        if sweep_batch(now, batch_size, result) < batch_size:
            break
    with transaction.atomic():
        result.requeued = notifications.notifications_requeue_lost(now=now)
    if result.notifications or result.requeued:
        logger.info(
            "SLA sweep: %s requests, %s new notifications %s, %s deliveries handed out again",
            result.requests,
            result.notifications,
            result.kinds,
            result.requeued,
        )
    return result


def sla_sweep_scheduled() -> SweepResult:
    """What beat runs every ``SLA_SWEEP_SECONDS``: a sweep, then the heartbeat that ``/healthz`` reads to
    tell that sweeps still run (written only after the sweep finished, so a sweep that keeps failing
    shows as a stale heartbeat)."""
    result = sla_sweep()
    heartbeat_record(name=SWEEP_HEARTBEAT)
    return result


def heartbeat_record(*, name: str) -> None:
    """A periodic job finished: one upsert of its row (what ``/healthz`` reads)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
