"""Rewriting the summary tables (``models/summaries.py``) for the days that changed.

A day's rows are recomputed whole from what happened that day: requests filed (their FILED events),
first responses and resolutions (requests whose clock stopped that day, found through that day's reply
and resolve events), ratings and thanks given that day, and the backlog at the end of the day (now, for
today). Recomputing a day is idempotent; two refreshes never interleave (they serialise on one lock
row), so the rows of a day are always one refresh's. Each query reads one day through an index on the
append-only tables (events, feedback, kudos), so a day of activity costs the same whatever the size of
the requests table; only the backlog reads open requests, through the queue's status index.

The periodic task refreshes today and yesterday (a reply just after midnight belongs to yesterday);
``manage.py refresh_summaries --days N`` rebuilds older days (after an import, or the demo seed).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from departments.models import Department
from requests_app.feedback import arithmetic as figures
from requests_app.feedback.models import (
    BACKLOG_BUCKETS,
    DepartmentDay,
    Feedback,
    Kudos,
    RelationDay,
    ServiceDay,
    ServiceSnapshot,
    SummaryRun,
)
from requests_app.models import ACTIVE_STATUSES, EventKind, RequestEvent, ServiceRequest, Status

from ..days import day_bounds, local_day

SNAPSHOT_DAYS = 30


@dataclass
class _ServiceTotals:
    department_id: int
    filed: int = 0
    responded: int = 0
    responded_with_target: int = 0
    responded_in_time: int = 0
    response_seconds: list[int] = field(default_factory=list)
    resolved: int = 0
    resolved_with_target: int = 0
    resolved_in_time: int = 0
    resolution_seconds: list[int] = field(default_factory=list)
    ratings: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])


@dataclass
class _RelationTotals:
    filed: int = 0
    measured: int = 0
    in_time: int = 0
    rating_count: int = 0
    rating_sum: int = 0


def _requests_with_event(kinds: tuple[str, ...], start: datetime, end: datetime) -> Any:
    """Requests that have an event of ``kinds`` in [start, end): index ranges on the events table."""
    ids = RequestEvent.objects.filter(kind__in=kinds, created_at__gte=start, created_at__lt=end).values("request_id")
    return ServiceRequest.objects.filter(pk__in=ids)


def _compute_day(day: date, now: datetime) -> tuple[list[ServiceDay], list[RelationDay], list[DepartmentDay]]:
    start, end = day_bounds(day)
    services: dict[int, _ServiceTotals] = {}
    relations: dict[tuple[int | None, int], _RelationTotals] = defaultdict(_RelationTotals)

    def service(service_id: int, department_id: int) -> _ServiceTotals:
        return services.setdefault(service_id, _ServiceTotals(department_id))

    filed = (
        _requests_with_event((EventKind.FILED,), start, end)
        .filter(created_at__gte=start, created_at__lt=end)
        .values("service_id", "department_id", "requester_department_id")
        .annotate(n=Count("pk"))
    )
    for row in filed:
        service(row["service_id"], row["department_id"]).filed += row["n"]
        relations[(row["requester_department_id"], row["department_id"])].filed += row["n"]

    responded = (
        _requests_with_event((EventKind.REPLY, EventKind.RESOLVED), start, end)  # a resolution can be the first answer
        .filter(first_responded_at__gte=start, first_responded_at__lt=end)
        .values_list(
            "service_id",
            "department_id",
            "requester_department_id",
            "first_response_used_seconds",
            "first_response_target_minutes",
            "first_response_breached_at",
        )
    )
    for service_id, department_id, requester_department_id, seconds, target, breached in responded:
        totals = service(service_id, department_id)
        totals.responded += 1
        totals.response_seconds.append(seconds)
        if target is not None:
            totals.responded_with_target += 1
            totals.responded_in_time += breached is None
            relation = relations[(requester_department_id, department_id)]
            relation.measured += 1
            relation.in_time += breached is None

    resolved = (
        _requests_with_event((EventKind.RESOLVED,), start, end)
        .filter(resolved_at__gte=start, resolved_at__lt=end, status__in=(Status.RESOLVED, Status.CLOSED))
        .values_list(
            "service_id",
            "department_id",
            "requester_department_id",
            "resolution_used_seconds",
            "resolution_target_minutes",
            "resolution_breached_at",
        )
    )
    for service_id, department_id, requester_department_id, seconds, target, breached in resolved:
        totals = service(service_id, department_id)
        totals.resolved += 1
        totals.resolution_seconds.append(seconds)
        if target is not None:
            totals.resolved_with_target += 1
            totals.resolved_in_time += breached is None
            relation = relations[(requester_department_id, department_id)]
            relation.measured += 1
            relation.in_time += breached is None

    ratings = Feedback.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "request__service_id", "request__department_id", "request__requester_department_id", "rating"
    )
    for service_id, department_id, requester_department_id, rating in ratings:
        service(service_id, department_id).ratings[rating - 1] += 1
        relation = relations[(requester_department_id, department_id)]
        relation.rating_count += 1
        relation.rating_sum += rating

    service_rows = [
        ServiceDay(
            day=day,
            service_id=service_id,
            department_id=t.department_id,
            filed=t.filed,
            responded=t.responded,
            responded_with_target=t.responded_with_target,
            responded_in_time=t.responded_in_time,
            response_seconds=sorted(t.response_seconds),
            resolved=t.resolved,
            resolved_with_target=t.resolved_with_target,
            resolved_in_time=t.resolved_in_time,
            resolution_seconds=sorted(t.resolution_seconds),
            ratings=t.ratings,
            computed_at=now,
        )
        for service_id, t in services.items()
    ]
    relation_rows = [
        RelationDay(
            day=day,
            requester_department_id=requester,
            department_id=department,
            computed_at=now,
            **vars(t),
        )
        for (requester, department), t in relations.items()
    ]
    return service_rows, relation_rows, _department_days(day, start, end, now)


def _bucket(age: timedelta) -> int:
    for index, (_, upper) in enumerate(BACKLOG_BUCKETS):
        if upper is None or age < timedelta(days=upper):
            return index
    return len(BACKLOG_BUCKETS) - 1


def _department_days(day: date, start: datetime, end: datetime, now: datetime) -> list[DepartmentDay]:
    """Backlog at the end of ``day`` (or now, while the day lasts) by age, and thanks received that day.

    Today it reads the open requests through the status index. For a past day (a rebuild) it
    reconstructs who was open then from the timestamps: filed before the end, not resolved or closed
    by then.
    """
    until = min(end, now)
    if end > now:
        open_requests = ServiceRequest.objects.filter(status__in=ACTIVE_STATUSES, created_at__lt=until)
    else:
        open_requests = (
            ServiceRequest.objects.filter(created_at__lt=until)
            .exclude(resolved_at__lt=until)
            .exclude(closed_at__lt=until)
        )
    buckets: dict[int, list[int]] = defaultdict(lambda: [0] * len(BACKLOG_BUCKETS))
    for department_id, created_at in open_requests.values_list("department_id", "created_at").iterator(2000):
        buckets[department_id][_bucket(until - created_at)] += 1
    kudos = dict(
        Kudos.objects.filter(created_at__gte=start, created_at__lt=end, department__isnull=False)
        .values_list("department_id")
        .annotate(n=Count("pk"))
        .values_list("department_id", "n")
    )
    department_ids = set(Department.objects.values_list("pk", flat=True))
    return [
        DepartmentDay(
            day=day,
            department_id=department_id,
            backlog=sum(buckets[department_id]),
            backlog_buckets=list(buckets[department_id]),
            kudos=kudos.get(department_id, 0),
            computed_at=now,
        )
        for department_id in sorted(department_ids)
    ]


def _snapshots(today: date, now: datetime) -> list[ServiceSnapshot]:
    """Each service's last 30 days, from the day rows just written."""
    since = today - timedelta(days=SNAPSHOT_DAYS - 1)
    totals: dict[int, dict[str, Any]] = {}
    for row in ServiceDay.objects.filter(day__gte=since, day__lte=today).only(
        "service_id",
        "filed",
        "responded_with_target",
        "responded_in_time",
        "resolved_with_target",
        "resolved_in_time",
        "response_seconds",
        "ratings",
    ):
        t = totals.setdefault(row.service_id, {"filed": 0, "measured": 0, "in_time": 0, "seconds": [], "ratings": []})
        t["filed"] += row.filed
        t["measured"] += row.responded_with_target + row.resolved_with_target
        t["in_time"] += row.responded_in_time + row.resolved_in_time
        t["seconds"].extend(row.response_seconds)
        figures.add_counts(t["ratings"], row.ratings)
    result = []
    for service_id, t in totals.items():
        middle = figures.median(t["seconds"])
        rated = figures.satisfaction(t["ratings"])
        result.append(
            ServiceSnapshot(
                service_id=service_id,
                window_days=SNAPSHOT_DAYS,
                requests=t["filed"],
                median_response_seconds=None if middle is None else round(middle),
                within_sla_percent=figures.share(t["in_time"], t["measured"]),
                satisfaction=rated.average,
                rating_count=rated.count,
                computed_at=now,
            )
        )
    return result


def summaries_refresh(*, days: Iterable[date] | None = None, now: datetime | None = None) -> SummaryRun:
    """Recompute the summary rows of ``days`` (default: yesterday and today) and the 30-day snapshots.

    Safe to run twice and from several workers: refreshes hold a lock in turn (``_one_at_a_time``).
    """
    now = now or timezone.now()
    today = local_day(now)
    wanted = sorted(set(days)) if days else [today - timedelta(days=1), today]
    started = time.monotonic()
    with transaction.atomic():
        _one_at_a_time()
        run = SummaryRun.objects.create(started_at=now, first_day=wanted[0], last_day=wanted[-1])
        for day in wanted:
            service_rows, relation_rows, department_rows = _compute_day(day, now)
            ServiceDay.objects.filter(day=day).delete()
            RelationDay.objects.filter(day=day).delete()
            DepartmentDay.objects.filter(day=day).delete()
            ServiceDay.objects.bulk_create(service_rows, batch_size=500)
            RelationDay.objects.bulk_create(relation_rows, batch_size=500)
            DepartmentDay.objects.bulk_create(department_rows, batch_size=500)
        ServiceSnapshot.objects.all().delete()
        ServiceSnapshot.objects.bulk_create(_snapshots(today, now))
        run.finished_at = timezone.now()
        run.seconds = time.monotonic() - started
        run.save(update_fields=["finished_at", "seconds"])
    return run


def last_refresh() -> SummaryRun | None:
    """The latest finished refresh: pages say "figures computed at …" from it."""
    return SummaryRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


# Any constant: the key of the PostgreSQL advisory lock that serialises refreshes.
STATS_LOCK_KEY = 0x5D57A75


def _one_at_a_time() -> None:
    """Hold the refresh lock until the transaction ends. SQLite needs none: it has one writer at a time
    (IMMEDIATE transactions, see settings), which already serialises refreshes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STATS_LOCK_KEY])
