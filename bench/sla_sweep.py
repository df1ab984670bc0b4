"""Issue 3: an SLA sweep must cost what is due, not what is open.

``python bench/sla_sweep.py --open N --due K`` fills the database named by
``DATABASE_URL`` with N active requests of which K are due for a warning,
prints the plan of the sweep's batch query, and times one full
``requests_app.services.sweep.sla_sweep()`` (median of ``--runs``). ``--cases`` runs
N=100,000 and N=1,000,000 with K=1,000 and checks the issue's promise: ten
times more open requests may cost at most 1.2 times the sweep time.

Why it is built this way:

- The data is written by the database itself (``INSERT ... SELECT`` over
  ``generate_series``), not by the ORM, so a million rows take seconds, and
  it is kept: a marker table records N, K and ``DATA_VERSION``, and a rerun
  with the same sizes reuses the rows. Bump ``DATA_VERSION`` whenever the
  generated rows change meaning.
- Only the K due rows are what the sweep should read; the others are half
  "scheduled" (``sla_next_check_at`` weeks ahead, in the partial index but
  never reached) and half "waiting on the requester" with nothing scheduled
  (``sla_next_check_at`` NULL, outside the partial index). Their times are
  plausible, not computed by the SLA engine: the sweep never reads them, and
  if it did, the timing and the plan check would show it.
- The K due rows are put back into the same due state (with times computed
  by the app's own business-time arithmetic, relative to the wall clock)
  and what the previous sweep wrote is deleted before every timed run, so
  every run does the same work: read K rows, create K warning notifications
  and K history events, update K rows.
- Delivery is not measured: ``requests_app.enqueue.notification_delivery``
  is patched to a no-op during the timed sweep, so no Celery task is sent.
- The plan printed is the plan of the SQL that ``requests_app.services.sweep._due_batch``
  really executes (captured while calling it in a rolled-back transaction),
  not of a copy of its queryset that could drift from it.
- It refuses SQLite (unless ``--allow-sqlite``) because the figures are about
  PostgreSQL, and any database whose name lacks "bench" (unless ``--force``),
  because it deletes and bulk-writes requests.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

if __package__ in (None, ""):  # run as a script: make the checkout importable for ``bench.common``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    at,
    check_columns,
    database_description,
    execute,
    indexes_rebuilt_after,
    prepare_database,
    series,
    setup_django,
    vacuum_analyze,
)

if TYPE_CHECKING:
    from departments import business_time
    from requests_app.services.sweep import SweepResult

# Bump when the generated rows change, so old data sets are regenerated rather than reused.
DATA_VERSION = 3
MARKER_TABLE = "bench_sla_sweep_dataset"
# The comparison: same K, ten times more open requests.
CASES: tuple[tuple[int, int], ...] = ((100_000, 1_000), (1_000_000, 1_000))
MAX_RATIO = 1.2
TARGET_SECONDS = 1.0

DEPARTMENT_SLUG = "bench"
REFERENCE_PREFIX = "BENCH"
# Request numbers are FIRST_NUMBER + g for g = 1..N, as if the department had filed them all.
FIRST_NUMBER = 1000
# (first response, resolution) business minutes per priority; request g (not due) has PRIORITIES[g % 4].
TARGETS = {"low": (960, 4800), "normal": (480, 2400), "high": (240, 960), "critical": (60, 480)}
PRIORITIES = ("low", "normal", "high", "critical")
PRIORITY_RANK = {"low": 1, "normal": 2, "high": 3, "critical": 4}
DUE_PRIORITY = "normal"
# A due row's first-response clock has used this share of its target: past the 75% warning, short of the breach.
DUE_ELAPSED_PERCENT = 80
WARNING_PERCENT = 75
# Due rows are spread over this many distinct start times (one second apart), as real traffic would be.
DUE_SPREAD_SECONDS = 60
# "Scheduled" rows next need the sweep between one week and one week + 90 days after generation.
SCHEDULED_AFTER = timedelta(days=7)
SPREAD_SECONDS = 90 * 86_400
# Free space left on each heap page of the generated table (PostgreSQL), see generate().
FILLFACTOR = 90
# Reused data is only valid while no "scheduled" row has come due (with this much margin).
REUSE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Dataset:
    """N open requests of which K are due; the due ones are spread evenly through the table."""

    open_requests: int
    due_requests: int

    @property
    def step(self) -> int:
        """Every ``step``-th request (from the first) is due, so due rows are scattered over the heap."""
        if self.due_requests == 0:
            return self.open_requests + 1
        return max(1, self.open_requests // self.due_requests)

    def due_numbers(self) -> list[int]:
        return [FIRST_NUMBER + 1 + i * self.step for i in range(self.due_requests)]


@dataclass(frozen=True)
class Fixtures:
    """The catalog rows every generated request points at."""

    department_id: int
    service_id: int
    requester_id: int


# --- command line -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time one full SLA sweep over N open requests of which K are due (issue 3).",
        epilog="Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk_bench "
        "python bench/sla_sweep.py --cases",
    )
    parser.add_argument("--open", type=int, default=100_000, metavar="N", help="open requests (default 100000)")
    parser.add_argument("--due", type=int, default=1_000, metavar="K", help="of which due for a warning (default 1000)")
    parser.add_argument(
        "--cases",
        action="store_true",
        help="run N=100000 and N=1000000 with K=1000, each in its own database <name>_n<N>_k<K> so both are kept",
    )
    parser.add_argument("--runs", type=int, default=7, help="timed sweeps per case; the median is reported")
    parser.add_argument("--regenerate", action="store_true", help="generate the data even if it could be reused")
    parser.add_argument("--profile", action="store_true", help="after timing, profile one more sweep with cProfile")
    parser.add_argument("--allow-sqlite", action="store_true", help="run against SQLite (figures are not comparable)")
    parser.add_argument("--force", action="store_true", help='run against a database whose name lacks "bench"')
    args = parser.parse_args(argv)
    if args.open < 1 or not 0 <= args.due <= args.open:
        parser.error("need N >= 1 and 0 <= K <= N")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cases:
        return run_cases(args)
    return run_case(args)


# --- several cases: one child process and one database per case -------------------------------


def case_database_url(url: str, dataset: Dataset) -> str:
    """The sibling database of ``url`` for one case: ``.../x_bench`` -> ``.../x_bench_n100000_k1000``.

    One database per case keeps each data set, so a rerun of ``--cases`` reuses both.
    """
    suffix = f"_n{dataset.open_requests}_k{dataset.due_requests}"
    # Plain string surgery: urlsplit/urlunsplit would fold sqlite:////abs/path into sqlite://abs/path.
    base, separator, query = url.partition("?")
    head, slash, name = base.rstrip("/").rpartition("/")
    stem, dot, extension = name.rpartition(".")
    name = f"{stem}{suffix}.{extension}" if url.startswith("sqlite") and dot else f"{name}{suffix}"
    return f"{head}{slash}{name}{separator}{query}"


def run_cases(args: argparse.Namespace) -> int:
    """Run each case in a fresh interpreter (no state carried between cases), then compare them."""
    base_url = os.environ.get("DATABASE_URL", "").strip()
    if not base_url:
        print("ERROR: --cases needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/servicedesk_bench")
        return 2
    flags = [flag for flag, on in (("--allow-sqlite", args.allow_sqlite), ("--force", args.force)) if on]
    flags += [flag for flag, on in (("--regenerate", args.regenerate), ("--profile", args.profile)) if on]
    results: dict[Dataset, tuple[float, str]] = {}
    for open_requests, due_requests in CASES:
        dataset = Dataset(open_requests, due_requests)
        env = {**os.environ, "DATABASE_URL": case_database_url(base_url, dataset)}
        command = [sys.executable, str(Path(__file__).resolve()), "--open", str(open_requests)]
        command += ["--due", str(due_requests), "--runs", str(args.runs), *flags]
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, bufsize=1) as child:
            assert child.stdout is not None
            for line in child.stdout:
                if line.startswith("sweep N="):
                    seconds = float(line.rsplit("seconds=", 1)[1])
                    results[dataset] = (seconds, line.rstrip("\n"))
                else:
                    print(line, end="", flush=True)
        if child.returncode != 0 or dataset not in results:
            print(f"ERROR: case N={open_requests} K={due_requests} failed (exit status {child.returncode})")
            return child.returncode or 1
    small, large = (results[Dataset(n, k)][0] for n, k in CASES)
    ratio = large / small if small else float("inf")
    verdict = "OK" if ratio <= MAX_RATIO else "WARNING: over the limit"
    print(f"ratio N={CASES[1][0]} / N={CASES[0][0]} at K={CASES[0][1]}: {ratio:.2f} (limit {MAX_RATIO}) {verdict}")
    target = "OK" if large < TARGET_SECONDS else "WARNING: over the target"
    print(f"N={CASES[1][0]} K={CASES[1][1]}: {large:.2f} s (target under {TARGET_SECONDS:.0f} s) {target}")
    for open_requests, due_requests in CASES:
        print(results[Dataset(open_requests, due_requests)][1])
    return 0


# --- one case ---------------------------------------------------------------------------------


def run_case(args: argparse.Namespace) -> int:
    setup_django()
    reason = prepare_database(allow_sqlite=args.allow_sqlite, force=args.force)
    if reason:
        print(f"ERROR: {reason}")
        return 2
    from django.conf import settings
    from django.db import connection

    dataset = Dataset(args.open, args.due)
    description = database_description()
    print(f"database {description}, N={dataset.open_requests} K={dataset.due_requests}, {os.cpu_count()} CPUs")

    if settings.DEBUG:
        print("WARNING: DEBUG is on, so Django logs every query and the timings are inflated; unset DEBUG")
    fixtures = ensure_fixtures()
    stale = None if args.regenerate else why_not_reusable(dataset, fixtures)
    if args.regenerate or stale:
        print(f"generating data: {'--regenerate' if args.regenerate else stale}")
        seconds = generate(dataset, fixtures)
        print(f"generated {dataset.open_requests} requests ({dataset.due_requests} due) in {seconds:.1f} s")
    else:
        generated_at, seconds = read_marker()
        print(f"reusing data generated {generated_at} (generation took {seconds:.1f} s)")

    due_ids = due_request_ids(dataset, fixtures)
    reset_due_rows(dataset, fixtures, due_ids)
    batch_size = sweep_batch_size()
    sql_text, plan = explain_batch_query(batch_size)
    print(f"batch query (the SQL requests_app.services.sweep._due_batch runs, batch_size={batch_size}):")
    print(f"  {sql_text}")
    print("EXPLAIN (ANALYZE, BUFFERS):" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN:")
    for line in plan.splitlines():
        print(f"  {line}")
    problem = plan_problem(plan)
    print(f"WARNING: {problem}" if problem else "plan check: OK (index scan, no sequential scan of the requests)")

    timings = []
    for run in range(1, args.runs + 1):
        reset_due_rows(dataset, fixtures, due_ids)
        seconds, cpu, result = timed_sweep()
        timings.append(seconds)
        check = result_problem(result, dataset)
        kinds = {str(kind): count for kind, count in result.kinds.items()}
        print(
            f"run {run}: {seconds:.3f} s (this process's CPU {cpu:.3f} s), {result.requests} requests read, "
            f"{result.notifications} notifications "
            f"{kinds}, {result.batches} batches" + (f"  WARNING: {check}" if check else "")
        )
    if args.profile:
        reset_due_rows(dataset, fixtures, due_ids)
        profile_sweep()
    print(f"sweep N={dataset.open_requests} K={dataset.due_requests} seconds={statistics.median(timings):.2f}")
    return 0


# --- catalog fixtures and the marker ----------------------------------------------------------


def ensure_fixtures() -> Fixtures:
    """One department on a Mon-Fri 09:00-17:00 Europe/Berlin calendar, one service, one requester, one policy.

    The calendar is a real business-hours one (not 24/7) so the sweep does the
    time-zone and working-hours arithmetic it does in production. Requester
    reminders and auto-close are off for the department, which is what makes
    "waiting, nothing scheduled" (``sla_next_check_at`` NULL) a consistent state.
    """
    from datetime import time as clock_time

    from django.contrib.auth import get_user_model

    from departments.models import (
        BusinessCalendar,
        Department,
        ReminderRule,
        Service,
        SLAPolicy,
        SLATarget,
        WorkingInterval,
    )

    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Bench Mon-Fri 09-17", defaults={"time_zone": "Europe/Berlin"}
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=calendar, weekday=day, start=clock_time(9), end=clock_time(17)) for day in range(5)
        )
    policy, _ = SLAPolicy.objects.get_or_create(name="Bench policy", defaults={"warning_thresholds": "75"})
    for priority, (first_response, resolution) in TARGETS.items():
        SLATarget.objects.update_or_create(
            policy=policy,
            priority=priority,
            defaults={"first_response_minutes": first_response, "resolution_minutes": resolution},
        )
    department, _ = Department.objects.get_or_create(
        slug=DEPARTMENT_SLUG,
        defaults={
            "name": "Bench",
            "reference_prefix": REFERENCE_PREFIX,
            "calendar": calendar,
            "default_sla_policy": policy,
        },
    )
    ReminderRule.objects.update_or_create(
        department=department,
        defaults={"remind_requester_after_hours": 0, "auto_close_after_days": 0, "auto_close_warning_days": 0},
    )
    service, _ = Service.objects.get_or_create(
        department=department,
        slug="bench-service",
        defaults={"name": "Bench service", "description": "Generated by bench/sla_sweep.py.", "sla_policy": policy},
    )
    requester, _ = get_user_model().objects.get_or_create(
        username="bench-requester", defaults={"email": "bench-requester@example.invalid"}
    )
    return Fixtures(department_id=department.pk, service_id=service.pk, requester_id=requester.pk)


def _ensure_marker_table() -> None:
    execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id integer PRIMARY KEY, open_requests bigint NOT NULL, "
        "due_requests bigint NOT NULL, data_version integer NOT NULL, department_id bigint NOT NULL, "
        "generated_at varchar(40) NOT NULL, generation_seconds double precision NOT NULL)"
    )


def read_marker() -> tuple[str, float]:
    rows = execute(f"SELECT generated_at, generation_seconds FROM {MARKER_TABLE} WHERE id = 1")
    return rows[0][0], rows[0][1]


def why_not_reusable(dataset: Dataset, fixtures: Fixtures) -> str | None:
    """None if the data of a previous run can be timed again as is; else why it must be regenerated."""
    from django.utils import timezone

    from requests_app.models import ServiceRequest

    _ensure_marker_table()
    rows = execute(f"SELECT open_requests, due_requests, data_version, department_id FROM {MARKER_TABLE} WHERE id = 1")
    if not rows:
        return "no data generated yet"
    wanted = (dataset.open_requests, dataset.due_requests, DATA_VERSION, fixtures.department_id)
    if tuple(rows[0]) != wanted:
        found = "N={}, K={}, version {}, department {}".format(*rows[0])
        return f"found {found}; want N={wanted[0]}, K={wanted[1]}, version {wanted[2]}, department {wanted[3]}"
    if ServiceRequest.objects.count() != dataset.open_requests:
        return "the number of requests changed since generation"
    horizon = timezone.now() + REUSE_MARGIN
    if ServiceRequest.objects.filter(sla_next_check_at__lte=horizon).count() > dataset.due_requests:
        return "scheduled requests have come due since generation (the data is about a week old)"
    return None


# --- generation -------------------------------------------------------------------------------


def _by_priority(values: dict[str, object], due_value: object) -> str:
    """A CASE giving request g the value for PRIORITIES[g % 4], and ``due_value`` for due rows."""

    def literal(value: object) -> str:
        return f"'{value}'" if isinstance(value, str) else str(value)

    branches = " ".join(f"WHEN {i} THEN {literal(values[p])}" for i, p in enumerate(PRIORITIES[:-1]))
    return (
        f"CASE WHEN kind = 'due' THEN {literal(due_value)} "
        f"ELSE CASE g %% 4 {branches} ELSE {literal(values[PRIORITIES[-1]])} END END"
    )


def request_columns(vendor: str) -> dict[str, str]:
    """Column -> SQL expression over (g, kind, spread) for one generated request.

    ``kind`` is 'due', 'scheduled' or 'waiting'; ``spread`` is g * 7919 mod 90
    days in seconds, so times are spread without following the insert order.
    """
    created = "CASE kind WHEN 'waiting' THEN -(86400 + spread %% 2592000) ELSE -(60 + spread %% 86400) END"
    check = f"{int(SCHEDULED_AFTER.total_seconds())} + spread"
    waiting = "kind = 'waiting'"
    return {
        "service_id": "%(service)s",
        "department_id": "%(department)s",
        "number": f"{FIRST_NUMBER} + g",
        "reference": f"%(prefix)s || '-' || CAST({FIRST_NUMBER} + g AS text)",
        "requester_id": "%(requester)s",
        "title": "'Bench request ' || CAST(g AS text)",
        "values": "'{}'::jsonb" if vendor == "postgresql" else "'{}'",
        "status": "CASE kind WHEN 'waiting' THEN 'waiting' ELSE 'open' END",
        "priority": _by_priority({p: p for p in PRIORITIES}, DUE_PRIORITY),
        "priority_rank": _by_priority(PRIORITY_RANK, PRIORITY_RANK[DUE_PRIORITY]),
        "resolution_note": "''",
        "created_at": at(vendor, created),
        "updated_at": at(vendor, created),
        "first_responded_at": f"CASE WHEN {waiting} THEN {at(vendor, created + ' + 3600')} END",
        "waiting_since": f"CASE WHEN {waiting} THEN {at(vendor, created + ' + 7200')} END",
        "first_response_target_minutes": _by_priority({p: t[0] for p, t in TARGETS.items()}, TARGETS[DUE_PRIORITY][0]),
        "first_response_used_seconds": f"CASE WHEN {waiting} THEN 3600 ELSE 0 END",
        "first_response_running_since": f"CASE WHEN {waiting} THEN NULL ELSE {at(vendor, created)} END",
        "first_response_due_at": f"CASE WHEN {waiting} THEN NULL ELSE {at(vendor, check + ' + 7200')} END",
        "resolution_target_minutes": _by_priority({p: t[1] for p, t in TARGETS.items()}, TARGETS[DUE_PRIORITY][1]),
        "resolution_used_seconds": f"CASE WHEN {waiting} THEN 7200 ELSE 0 END",
        "resolution_running_since": f"CASE WHEN {waiting} THEN NULL ELSE {at(vendor, created)} END",
        "resolution_due_at": f"CASE WHEN {waiting} THEN NULL ELSE {at(vendor, check + ' + 259200')} END",
        "next_due_at": f"CASE WHEN {waiting} THEN NULL ELSE {at(vendor, check + ' + 7200')} END",
        "sla_generation": f"CASE WHEN {waiting} THEN 3 ELSE 1 END",
        "sla_next_check_at": f"CASE WHEN {waiting} THEN NULL ELSE {at(vendor, check)} END",
    }


def _clear_requests(fixtures: Fixtures) -> None:
    """Remove the previous data set: TRUNCATE when every request is ours (seconds), else the ORM's delete."""
    from django.db import connection

    from requests_app.models import ServiceRequest

    ours = ServiceRequest.objects.filter(department_id=fixtures.department_id)
    if connection.vendor == "postgresql" and ServiceRequest.objects.count() == ours.count():
        # CASCADE empties the tables that point at requests (events, notifications, comments, ...):
        # in a bench database they only hold what earlier runs created for these requests.
        execute(f"TRUNCATE {ServiceRequest._meta.db_table} CASCADE")
    else:
        ours.delete()


def generate(dataset: Dataset, fixtures: Fixtures) -> float:
    """Replace the data set with N requests written by one server-side INSERT ... SELECT; return the seconds taken."""
    from django.db import connection, transaction
    from django.utils import timezone

    from departments.models import Department
    from requests_app.models import ServiceRequest

    start = time.perf_counter()
    vendor = connection.vendor
    columns = request_columns(vendor)
    check_columns(ServiceRequest, columns, "bench/sla_sweep.py")
    _ensure_marker_table()
    execute(f"DELETE FROM {MARKER_TABLE}")
    insert = (
        f"WITH RECURSIVE {series(vendor, 'series', '%(open)s')}, base AS (SELECT g, "
        "CASE WHEN (g - 1) %% %(step)s = 0 AND (g - 1) / %(step)s < %(due)s THEN 'due' "
        "WHEN g %% 2 = 0 THEN 'scheduled' ELSE 'waiting' END AS kind, "
        f"(CAST(g AS bigint) * 7919) %% {SPREAD_SECONDS} AS spread FROM series) "
        f"INSERT INTO {ServiceRequest._meta.db_table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
        f"SELECT {', '.join(columns.values())} FROM base"
    )
    now = timezone.now()
    params = {
        "now": connection.ops.adapt_datetimefield_value(now),
        "open": dataset.open_requests,
        "due": dataset.due_requests,
        "step": dataset.step,
        "service": fixtures.service_id,
        "department": fixtures.department_id,
        "requester": fixtures.requester_id,
        "prefix": REFERENCE_PREFIX,
    }
    table = ServiceRequest._meta.db_table
    with transaction.atomic():
        # One transaction: a crash leaves the previous data (and every index) as it was.
        _clear_requests(fixtures)
        if vendor == "postgresql":
            # Room on every page, as a table that lives through updates has: a due row's next
            # version then stays on its page, so the K due rows remain scattered over the heap
            # as in production instead of gathering in the few pages the first reset would move them to.
            execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")
        with indexes_rebuilt_after([table]):
            execute(insert, params)
        Department.objects.filter(pk=fixtures.department_id).update(
            last_request_number=FIRST_NUMBER + dataset.open_requests
        )
    vacuum_analyze([table])
    seconds = time.perf_counter() - start
    execute(
        f"INSERT INTO {MARKER_TABLE} (id, open_requests, due_requests, data_version, department_id, generated_at, "
        "generation_seconds) VALUES (1, %s, %s, %s, %s, %s, %s)",
        [
            dataset.open_requests,
            dataset.due_requests,
            DATA_VERSION,
            fixtures.department_id,
            now.isoformat(timespec="seconds"),
            seconds,
        ],
    )
    return seconds


# --- putting the due rows back before each timed sweep ----------------------------------------


def due_request_ids(dataset: Dataset, fixtures: Fixtures) -> list[int]:
    from requests_app.models import ServiceRequest

    numbers = dataset.due_numbers()
    ids: list[int] = []
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        ids += ServiceRequest.objects.filter(department_id=fixtures.department_id, number__in=chunk).values_list(
            "pk", flat=True
        )
    if len(ids) != dataset.due_requests:
        raise SystemExit(f"ERROR: found {len(ids)} due requests, expected {dataset.due_requests}; use --regenerate")
    return sorted(ids)


def since_for_elapsed(calendar: business_time.Calendar, now: datetime, elapsed: timedelta) -> datetime:
    """The latest start from which ``elapsed`` business time has passed by ``now`` (to the second).

    There is no "subtract business time" in the engine, so this bisects over
    ``business_time_between``, which only grows as the start moves back.
    """
    from departments import business_time

    earliest, latest = now - timedelta(days=60), now
    if business_time.business_time_between(calendar, earliest, now) < elapsed:
        raise SystemExit("ERROR: the bench calendar has too little working time in the last 60 days")
    while latest - earliest > timedelta(seconds=1):
        middle = earliest + (latest - earliest) / 2
        if business_time.business_time_between(calendar, middle, now) >= elapsed:
            earliest = middle
        else:
            latest = middle
    return earliest


def reset_due_rows(dataset: Dataset, fixtures: Fixtures, due_ids: list[int]) -> None:
    """Put the K due rows back into "75% warning due, breach still ahead" and delete what sweeps wrote for them.

    Times come from the app's own calendar arithmetic, relative to now, so the
    sweep that follows computes exactly one first-response warning per row.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from departments import business_time
    from requests_app import clocks
    from requests_app.models import Notification, RequestEvent, ServiceRequest

    config = clocks.SLAConfig([fixtures.service_id])
    calendar = config.calendar(fixtures.service_id)
    target = config.target(fixtures.service_id, DUE_PRIORITY)
    assert target is not None, "the bench policy has a target for every priority"
    first_response = timedelta(minutes=target.first_response_minutes)
    resolution = timedelta(minutes=target.resolution_minutes)
    now = timezone.now()
    since = since_for_elapsed(calendar, now, first_response * DUE_ELAPSED_PERCENT / 100)
    adapt = connection.ops.adapt_datetimefield_value
    states = []
    for offset in range(DUE_SPREAD_SECONDS):
        start = since - timedelta(seconds=offset)
        warning = business_time.add_business_time(calendar, start, first_response * WARNING_PERCENT / 100)
        first_due = business_time.add_business_time(calendar, start, first_response)
        assert warning <= now < first_due
        resolution_due = business_time.add_business_time(calendar, start, resolution)
        states.append((adapt(start), adapt(warning), adapt(first_due), adapt(resolution_due)))
    table = ServiceRequest._meta.db_table
    update = (
        f"UPDATE {table} SET status = 'open', priority = %s, priority_rank = %s, created_at = %s, updated_at = %s, "
        "first_responded_at = NULL, waiting_since = NULL, first_response_target_minutes = %s, "
        "first_response_used_seconds = 0, first_response_running_since = %s, first_response_due_at = %s, "
        "first_response_breached_at = NULL, resolution_target_minutes = %s, resolution_used_seconds = 0, "
        "resolution_running_since = %s, resolution_due_at = %s, resolution_breached_at = NULL, next_due_at = %s, "
        "sla_generation = 1, sla_next_check_at = %s WHERE id = %s"
    )
    rows = []
    for index, request_id in enumerate(due_ids):
        start, warning, first_due, resolution_due = states[index % DUE_SPREAD_SECONDS]
        rows.append(
            (
                DUE_PRIORITY,
                PRIORITY_RANK[DUE_PRIORITY],
                start,
                start,
                target.first_response_minutes,
                start,
                first_due,
                target.resolution_minutes,
                start,
                resolution_due,
                first_due,
                warning,
                request_id,
            )
        )
    with transaction.atomic():
        for model in (Notification, RequestEvent):
            for first in range(0, len(due_ids), 500):
                chunk = due_ids[first : first + 500]
                placeholders = ", ".join(["%s"] * len(chunk))
                execute(f"DELETE FROM {model._meta.db_table} WHERE request_id IN ({placeholders})", chunk)
        with connection.cursor() as cursor:
            cursor.executemany(update, rows)
    if connection.vendor == "postgresql":
        # Clear the dead row versions of the previous run now, so every timed sweep meets the same index and heap.
        tables = ", ".join(m._meta.db_table for m in (ServiceRequest, Notification, RequestEvent))
        execute(f"VACUUM (INDEX_CLEANUP ON) {tables}")


# --- the plan ---------------------------------------------------------------------------------


def sweep_batch_size() -> int:
    """The batch size ``sla_sweep`` uses by default, read from its signature so the plan matches the sweep."""
    from requests_app.services.sweep import sla_sweep

    return int(inspect.signature(sla_sweep).parameters["batch_size"].default)


def explain_batch_query(batch_size: int) -> tuple[str, str]:
    """The batch SELECT as ``_due_batch`` really sends it, and its plan.

    ``_due_batch`` returns a list, not its queryset, so the SQL is captured
    while calling it (in a transaction rolled back afterwards, which also
    releases the row locks of FOR UPDATE) and then explained, with ANALYZE on
    PostgreSQL (again rolled back).
    """
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from requests_app.models import ServiceRequest
    from requests_app.services import sweep

    table = ServiceRequest._meta.db_table
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        sweep._due_batch(timezone.now(), batch_size)
        transaction.set_rollback(True)
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and table in q["sql"]]
    if len(selects) != 1:
        raise SystemExit(f"ERROR: expected one SELECT from _due_batch, captured {captured.captured_queries}")
    sql_text = selects[0]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with transaction.atomic():
        rows = execute(prefix + sql_text)
        transaction.set_rollback(True)
    plan = "\n".join(str(row[0]) if connection.vendor == "postgresql" else str(row[-1]) for row in rows)
    return sql_text, plan


def plan_problem(plan: str) -> str | None:
    """What is wrong with the batch query's plan, or None: it must read the requests through an index."""
    from django.db import connection

    from requests_app.models import ServiceRequest

    table = ServiceRequest._meta.db_table
    if connection.vendor == "postgresql":
        if f"Seq Scan on {table}" in plan:
            return f"the batch query scans {table} sequentially: its cost grows with every open request"
        if "Index" not in plan:
            return "the batch query's plan uses no index"
        if "request_sla_check_idx" not in plan:
            return "the batch query does not use request_sla_check_idx"
        return None
    scans = [line for line in plan.splitlines() if line.startswith(f"SCAN {table}") and "INDEX" not in line]
    if scans or "INDEX" not in plan:
        return f"the batch query scans {table} without an index"
    return None


# --- timing -----------------------------------------------------------------------------------


def _no_delivery(notification_id: int) -> None:
    """Stands in for ``enqueue.notification_delivery``: delivery is a separate task and not part of the sweep's cost."""


def timed_sweep() -> tuple[float, float, SweepResult]:
    """Wall-clock seconds of one ``sla_sweep()``, the CPU seconds this process spent in it, and its result.

    The CPU figure is the Python side alone (the database server's work is not in it) and
    moves much less than the wall clock when other processes compete for the two cores.
    """
    from django.db import connection

    from requests_app import enqueue
    from requests_app.services import sweep

    connection.ensure_connection()
    with mock.patch.object(enqueue, "notification_delivery", _no_delivery):
        cpu_start = time.process_time()
        start = time.perf_counter()
        result = sweep.sla_sweep()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    return seconds, cpu, result


def result_problem(result: SweepResult, dataset: Dataset) -> str | None:
    """The sweep must have read exactly the K due rows and created one warning for each."""
    expected = {"sla_warning": dataset.due_requests} if dataset.due_requests else {}
    if result.requests != dataset.due_requests or dict(result.kinds) != expected:
        return f"expected {dataset.due_requests} requests read and {expected}; the timing is not comparable"
    return None


def profile_sweep() -> None:
    """One more sweep under cProfile, plus its queries, to show where the time goes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from requests_app import enqueue
    from requests_app.services import sweep

    profiler = cProfile.Profile()
    with (
        mock.patch.object(enqueue, "notification_delivery", _no_delivery),
        CaptureQueriesContext(connection) as captured,
    ):
        profiler.enable()
        sweep.sla_sweep()
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)
    print("profile of one sweep (with query logging on, so slower than the timed runs):")
    print(out.getvalue())
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    print(f"{len(queries)} queries, {sum(float(q['time']) for q in queries):.3f} s in the database; slowest:")
    for query in queries[:8]:
        print(f"  {query['time']} s  {query['sql'][:160]}")


if __name__ == "__main__":
    sys.exit(main())
