"""The triage benchmark's data set: generated once, reused while fresh, cleaned of what runs filed.

Generation empties the database's domain tables (only when everything in them is the bench's own),
writes the catalog and the people through the ORM (``bench.triage_catalog``), then each large table
with one server-side ``INSERT ... SELECT`` (``bench.triage_sql``, the ratings, follow-ups and thanks in
``bench.feedback_sql``), with their secondary indexes
dropped and rebuilt afterwards, all in one transaction, followed by ``VACUUM ANALYZE``.

A marker table records N, ``DATA_VERSION`` and the last generated request id. A rerun with the same
N reuses the data while it is under ``REUSE_DAYS`` old (its SLA clocks move with the wall clock),
after deleting the requests earlier runs filed (ids above the last generated one) and their queued
deliveries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.broker import purge_deliveries
from bench.common import execute, indexes_rebuilt_after, vacuum_analyze
from bench.feedback_sql import feedback_insert, follow_ups_insert, kudos_insert
from bench.triage_catalog import DEPARTMENTS, create_catalog, employee_count
from bench.triage_sql import (
    comments_insert,
    events_insert,
    handoffs_insert,
    number_departments,
    requests_insert,
    search_insert,
    watchers_insert,
)

# Bump when the generated rows change, so old data sets are regenerated rather than reused.
DATA_VERSION = 3
MARKER_TABLE = "bench_triage_dataset"
REUSE_DAYS = 7
USERNAME_PREFIX = "bench-"
TOKEN_NAME_PREFIX = "bench "  # noqa: S105 - the name of a token, not a secret


@dataclass(frozen=True)
class Dataset:
    requests: int
    employees: int
    max_request_id: int
    lead_id: int  # the lead of IT, the busiest department
    heavy_id: int  # an employee with many requests
    generated_at: datetime
    seconds: float


def _ensure_marker_table() -> None:
    execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id integer PRIMARY KEY, requests bigint NOT NULL, "
        "employees integer NOT NULL, data_version integer NOT NULL, max_request_id bigint NOT NULL, "
        "lead_id bigint NOT NULL, heavy_id bigint NOT NULL, generated_at varchar(40) NOT NULL, "
        "generation_seconds double precision NOT NULL)"
    )


def read_marker() -> tuple[Dataset, int] | None:
    """The recorded data set and its DATA_VERSION, or None."""
    _ensure_marker_table()
    rows = execute(
        f"SELECT requests, employees, max_request_id, lead_id, heavy_id, generated_at, generation_seconds, "
        f"data_version FROM {MARKER_TABLE} WHERE id = 1"
    )
    if not rows:
        return None
    n, employees, max_id, lead, heavy, generated_at, seconds, version = rows[0]
    dataset = Dataset(n, employees, max_id, lead, heavy, datetime.fromisoformat(generated_at), float(seconds))
    return dataset, int(version)


def why_not_reusable(n: int) -> str | None:
    """None if the data of an earlier run can be timed again; else why it must be generated."""
    from django.utils import timezone

    from requests_app.models import ServiceRequest

    found = read_marker()
    if found is None:
        return "no data generated yet"
    dataset, version = found
    if (dataset.requests, version) != (n, DATA_VERSION):
        return f"found N={dataset.requests} (version {version}); want N={n} (version {DATA_VERSION})"
    age = timezone.now() - dataset.generated_at
    if age > timedelta(days=REUSE_DAYS):
        return f"the data is {age.days} days old: its SLA clocks have moved on"
    if ServiceRequest.objects.filter(pk__lte=dataset.max_request_id).count() != n:
        return "generated requests were deleted since generation"
    return None


def ensure_dataset(n: int, *, regenerate: bool, purge_broker: bool = True) -> Dataset:
    """The data set of N requests: reused when possible (without what earlier runs filed), else generated."""
    stale = "--regenerate" if regenerate else why_not_reusable(n)
    if stale:
        print(f"generating data: {stale}", flush=True)
        dataset = generate(n)
        print(f"generated {n} requests in {dataset.seconds:.1f} s", flush=True)
        return dataset
    found = read_marker()
    assert found is not None
    dataset = found[0]
    print(
        f"reusing data generated {dataset.generated_at:%Y-%m-%d %H:%M} UTC (generation took {dataset.seconds:.1f} s)",
        flush=True,
    )
    removed = remove_filed_by_runs(dataset, purge_broker=purge_broker)
    if removed:
        print(f"removed {removed} requests filed by earlier runs", flush=True)
    return dataset


def remove_filed_by_runs(dataset: Dataset, *, purge_broker: bool = True) -> int:
    """Delete the requests filed after generation (with their rows) and the bench's tokens, so every run
    times the same data; with ``purge_broker``, also their deliveries still queued in the broker (only
    where the broker is the bench's: Redis, or the filesystem queue under the bench's VAR_DIR)."""
    from requests_app.models import ApiToken, Notification, ServiceRequest

    filed = ServiceRequest.objects.filter(pk__gt=dataset.max_request_id)
    if purge_broker:
        purge_deliveries(Notification.objects.filter(request__in=filed).values_list("pk", flat=True))
    count = filed.count()
    if count:
        filed.delete()
        vacuum_after_removal()
    ApiToken.objects.filter(name__startswith=TOKEN_NAME_PREFIX).delete()
    return count


def vacuum_after_removal() -> None:
    """``VACUUM ANALYZE`` the tables a filing writes, so the next run reads no dead index entries.

    A load run files thousands of requests, all new and unassigned in one queue; deleted, they stay in
    the queue's indexes as dead entries until a vacuum, and autovacuum waits for a fifth of a million-row
    table to be dead. Without this, each run made the queue pages of the next one slower.
    """
    from django.db import connection

    from requests_app.models import Handoff, Notification, RequestEvent, RequestSearch, ServiceRequest

    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (ServiceRequest, RequestEvent, Handoff, RequestSearch, Notification)]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


# --- generation ------------------------------------------------------------------------------------


def _domain_tables() -> list[str]:
    """Every table the generator may write: both apps' models, the people, their sessions."""
    from django.apps import apps
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    models = [m for label in ("requests_app", "departments") for m in apps.get_app_config(label).get_models(True)]
    user = get_user_model()
    models += [user, *[f.remote_field.through for f in user._meta.many_to_many], Session, LogEntry]
    return [m._meta.db_table for m in models]


def foreign_data() -> str | None:
    """What in the database the bench did not generate, or None (then it may empty the tables)."""
    from django.contrib.auth import get_user_model

    from departments.models import Department

    people = get_user_model().objects.exclude(username__startswith=USERNAME_PREFIX).count()
    ours = {d.slug for d in DEPARTMENTS}
    departments = Department.objects.exclude(slug__in=ours).count()
    if people or departments:
        return f"{people} users and {departments} departments that bench/run.py did not generate"
    return None


def clear_all() -> None:
    from django.db import connection

    tables = _domain_tables()
    if connection.vendor == "postgresql":
        execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:  # SQLite checks the (deferred) foreign keys at commit, when every table is empty
        for table in tables:
            execute(f"DELETE FROM {table}")


def generate(n: int) -> Dataset:
    """Replace the data set with one of N requests; see the module docstring."""
    from django.db import connection, transaction
    from django.utils import timezone

    from requests_app.feedback.models import Feedback, FeedbackFollowUp, Kudos
    from requests_app.models import Comment, Handoff, RequestEvent, RequestSearch, ServiceRequest, Watcher

    problem = foreign_data()
    if problem:
        raise SystemExit(f"ERROR: the database holds {problem}; point DATABASE_URL at a database of its own")
    vendor = connection.vendor
    start = time.perf_counter()
    now = timezone.now()
    params = {"now": connection.ops.adapt_datetimefield_value(now), "n": n}
    employees = employee_count(n)
    generated = (ServiceRequest, Comment, RequestEvent, Handoff, RequestSearch, Watcher, Feedback, FeedbackFollowUp)
    big = [m._meta.db_table for m in (*generated, Kudos)]
    _ensure_marker_table()
    execute(f"DELETE FROM {MARKER_TABLE}")
    with transaction.atomic():
        # One transaction: a failure leaves the previous data (and every index) as it was.
        clear_all()
        catalog = create_catalog(employees)
        print(f"  catalog: 8 departments, 40 services, {employees} employees", flush=True)
        with indexes_rebuilt_after(big):
            steps = [
                ("requests", requests_insert(vendor, catalog, n)),
                ("comments", comments_insert(vendor)),
                ("events", events_insert()),
                ("handoffs", handoffs_insert()),
                ("search documents", search_insert(vendor)),
                ("watchers", watchers_insert(catalog)),
                ("ratings", feedback_insert(vendor)),
                ("follow-ups of low ratings", follow_ups_insert(vendor)),
                ("thanks", kudos_insert(vendor)),
            ]
            for label, statement in steps:
                step = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(statement, params)
                    rows = cursor.rowcount  # -1 from SQLite for INSERTs that start with WITH
                counted = f"{rows} rows" if rows >= 0 else "done"
                print(f"  {label}: {counted} in {time.perf_counter() - step:.1f} s", flush=True)
            step = time.perf_counter()
        print(f"  indexes rebuilt in {time.perf_counter() - step:.1f} s", flush=True)
        number_departments()
    step = time.perf_counter()
    vacuum_analyze(_domain_tables())
    print(f"  vacuum and analyze in {time.perf_counter() - step:.1f} s", flush=True)
    seconds = time.perf_counter() - start
    max_id = ServiceRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    dataset = Dataset(n, employees, max_id, catalog.lead_id, catalog.heavy_ids[0], now, seconds)
    execute(
        f"INSERT INTO {MARKER_TABLE} (id, requests, employees, data_version, max_request_id, lead_id, heavy_id, "
        "generated_at, generation_seconds) VALUES (1, %s, %s, %s, %s, %s, %s, %s, %s)",
        [n, employees, DATA_VERSION, max_id, dataset.lead_id, dataset.heavy_id, now.isoformat(), seconds],
    )
    return dataset
