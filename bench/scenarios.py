"""The timed in-process scenarios: pages and the filing API through ``django.test.Client``.

Each scenario is one HTTP request through the whole Django stack (middleware, session, permission
look-ups, selectors, templates or serializers) as a signed-in person: the lead of IT, the busiest
department, for the queue, the request page and the API queue; an employee with many requests for
"My requests"; a hundred employees in turn, with their personal tokens, for filing. A scenario runs a
few untimed warm-up requests (one of them counts the SQL queries with ``CaptureQueriesContext``, which
turns on the query log, so it is not timed), then ``runs`` timed ones; the median and the 95th
percentile (nearest rank) are reported.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.common import execute, percentile
from bench.triage_catalog import DEPARTMENT_SLUG_OF_LEAD, LOCATIONS, SERVICES
from bench.triage_data import TOKEN_NAME_PREFIX, USERNAME_PREFIX, Dataset

SEARCH_WORD = "printer"  # a word agents search for: a busy IT service's name, in 9% of IT's requests
DEEP_PAGE = 200
WARMUPS = 3
PAGE_TARGET_MS = 50.0


@dataclass
class Scenario:
    name: str
    path: str
    client: Any
    expected_status: int = 200
    body: Callable[[int], dict[str, Any]] | None = None  # POST with this JSON body (run number -> body)
    tokens: list[str] = field(default_factory=list)  # sign in with these personal tokens, one per run in turn
    note: str = ""

    def send(self, run: int) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[run % len(self.tokens)]}"} if self.tokens else {}
        if self.body is None:
            return self.client.get(self.path, **headers)
        data = json.dumps(self.body(run))
        return self.client.post(self.path, data, content_type="application/json", **headers)


@dataclass(frozen=True)
class Timing:
    name: str
    n: int
    p50_ms: float
    p95_ms: float
    queries: int
    runs: int
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU time per timed run
    database_ms: float = 0.0  # the queries' time in the counted (untimed) request

    def line(self) -> str:
        return (
            f"scenario={self.name} n={self.n} p50_ms={self.p50_ms:.1f} p95_ms={self.p95_ms:.1f} queries={self.queries}"
        )


def filing_body(service_index: int, run: int) -> dict[str, Any]:
    """What a person (or a bot) sends to file a request for SERVICES[service_index]."""
    spec = SERVICES[service_index]
    values: dict[str, Any] = {
        "location": LOCATIONS[run % len(LOCATIONS)],
        "details": "It stopped working this morning.",
    }
    if spec.asset:
        values["asset_tag"] = f"LT-{10000 + run % 90000}"
    return {"service": 0, "title": f"{spec.name} (bench run {run})", "values": values}


def employee_tokens(purpose: str, limit: int | None = None) -> list[str]:
    """Personal API tokens of the employees who staff no department (up to ``limit``), so that filings
    spread over many people, as real ones do, and stay within the per-person filing limit if one is set."""
    from django.contrib.auth import get_user_model

    from requests_app import services

    people = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX, memberships__isnull=True)
    people = people.order_by("pk")[:limit] if limit else people.order_by("pk")
    return [services.api_token_create(user=p, name=f"{TOKEN_NAME_PREFIX}{purpose}")[1] for p in people]


def deep_page_cursor(qs: Any, page: int, size: int) -> tuple[str, int]:
    """The cursor of page ``page`` (or of the last page, if there are fewer), found by following the
    ``next`` cursors the way a person clicking "Next" would; and that page's number."""
    from requests_app import selectors

    cursor, number = "", 1
    while number < page:
        found = selectors.keyset_page(qs, sort="due", cursor=cursor, size=size, count=False)
        if not found.next_cursor:
            break
        cursor, number = found.next_cursor, number + 1
    return cursor, number


def build(dataset: Dataset) -> list[Scenario]:
    """The scenarios of issue 4, signed in as the people who use each page."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client

    from departments.models import Department, Service
    from requests_app import selectors
    from requests_app.models import ACTIVE_STATUSES, ServiceRequest
    from requests_app.selectors.queue import QueueFilters

    users = get_user_model().objects
    lead, heavy = users.get(pk=dataset.lead_id), users.get(pk=dataset.heavy_id)
    department = Department.objects.get(slug=DEPARTMENT_SLUG_OF_LEAD)
    as_lead, as_employee = Client(), Client()
    as_lead.force_login(lead)
    as_employee.force_login(heavy)
    size = settings.QUEUE_PAGE_SIZE
    queue = f"/queues/{department.slug}/"

    qs = selectors.queue_requests(department_ids=[department.pk], filters=QueueFilters(), user=lead)
    first = selectors.keyset_page(qs, sort="due", size=size, count=False).rows
    if not first:
        raise SystemExit("ERROR: the IT queue is empty; generate more requests")
    # The request the lead opens: the most talked-about one on the first page of the queue.
    chosen = (
        ServiceRequest.objects.filter(pk__in=[r.pk for r in first])
        .annotate(talk=Count("comments"))
        .order_by("-talk", "pk")
        .first()
    )
    cursor, page = deep_page_cursor(qs, DEEP_PAGE, size)
    searched = QueueFilters(q=SEARCH_WORD)
    search_qs = selectors.queue_requests(department_ids=[department.pk], filters=searched, user=lead)
    matches = search_qs.order_by().values("pk")[: selectors.COUNT_CAP + 1].count()
    active = ServiceRequest.objects.filter(department=department, status__in=ACTIVE_STATUSES).count()
    mine = ServiceRequest.objects.filter(requester=heavy).count()

    busiest = max(range(len(SERVICES)), key=lambda i: SERVICES[i].weight)
    service = Service.objects.get(department__slug=SERVICES[busiest].department, slug=SERVICES[busiest].slug)
    tokens = employee_tokens("in-process filing", limit=100)

    def body(run: int) -> dict[str, Any]:
        return {**filing_body(busiest, run), "service": service.pk}

    return [
        Scenario("queue_default", queue, as_lead, note=f"{department.name} queue: {active} active requests"),
        Scenario("queue_breached", f"{queue}?sla=breached", as_lead),
        Scenario(
            "queue_search",
            f"{queue}?{urlencode({'q': SEARCH_WORD})}",
            as_lead,
            note=f"search {SEARCH_WORD!r}: {matches} active requests in the queue match",
        ),
        Scenario(
            "queue_page200",
            f"{queue}?{urlencode({'cursor': cursor})}" if cursor else queue,
            as_lead,
            note=f"deep page: page {page}" + ("" if page == DEEP_PAGE else f" (the queue has only {page} pages)"),
        ),
        Scenario("request_page", f"/requests/{chosen.reference}/", as_lead, note=f"request {chosen.reference}"),
        Scenario("my_requests", "/my/requests/", as_employee, note=f"{heavy.username} filed {mine} requests"),
        Scenario("api_queue", f"/api/v1/queues/{department.slug}/requests/", as_lead),
        Scenario(
            "file_request",
            "/api/v1/requests/",
            as_employee,
            expected_status=201,
            body=body,
            tokens=tokens,
            note=f"POST /api/v1/requests/ to {service.name}, by {len(tokens)} employees in turn",
        ),
    ]


def measure(scenario: Scenario, *, n: int, runs: int, counter: itertools.count) -> Timing:
    """Warm up, count the queries of one request, then time ``runs`` requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def send() -> Any:
        response = scenario.send(next(counter))
        if response.status_code != scenario.expected_status:
            raise SystemExit(
                f"ERROR: {scenario.name} answered {response.status_code}, expected {scenario.expected_status}: "
                f"{response.content[:300]!r}"
            )
        return response

    for _ in range(WARMUPS - 1):
        send()
    with CaptureQueriesContext(connection) as captured:
        send()
    # Now: the next request clears the log the capture reads from.
    queries, database_ms = len(captured), sum(float(q["time"]) for q in captured.captured_queries) * 1000
    timings, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        send()
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    return Timing(scenario.name, n, p50, p95, queries, runs, cpu, database_ms)


def slowest_queries(scenario: Scenario, counter: itertools.count, *, top: int = 3) -> None:
    """Print the scenario's slowest queries and, on PostgreSQL, the plan of the slowest SELECT."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        scenario.send(next(counter))
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in queries)
    print(f"  {scenario.name}: {len(queries)} queries, {total * 1000:.1f} ms in the database; slowest:")
    for query in queries[:top]:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    select = next((q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")), None)
    if connection.vendor == "postgresql" and select:
        with transaction.atomic():
            plan = execute("EXPLAIN (ANALYZE, BUFFERS) " + select)
            transaction.set_rollback(True)
        print("    plan of the slowest SELECT:")
        for (line,) in plan:
            print(f"      {line}")


def profile(scenario: Scenario, counter: itertools.count, *, runs: int) -> None:
    """Where the Python time of ``runs`` requests goes: the top functions by cumulative and own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        scenario.send(next(counter))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    print(f"  profile of {runs} requests of {scenario.name}:")
    print(out.getvalue())


def add_investigation_options(parser: argparse.ArgumentParser) -> None:
    """``--analyze``, ``--profile`` and ``--only``, the same in every benchmark that times pages."""
    parser.add_argument("--analyze", action="store_true", help="print each scenario's slowest queries and a plan")
    parser.add_argument("--profile", action="store_true", help="profile each scenario's timed runs with cProfile")
    parser.add_argument("--only", default="", metavar="NAMES", help="comma-separated scenarios to run (default all)")


def run_chosen(scenarios: list[Scenario], args: argparse.Namespace) -> list[Timing]:
    """``run_all`` on the scenarios ``--only`` names (all when it is empty), with the investigation options."""
    picked = [s for s in scenarios if not args.only or s.name in args.only.split(",")]
    return run_all(picked, n=args.requests, runs=args.runs, analyze=args.analyze, profile_runs=args.profile)


def run_all(
    scenarios: list[Scenario], *, n: int, runs: int, analyze: bool = False, profile_runs: bool = False
) -> list[Timing]:
    counter = itertools.count(1)
    results = []
    for scenario in scenarios:
        if scenario.note:
            print(f"{scenario.name}: {scenario.note}", flush=True)
        timing = measure(scenario, n=n, runs=runs, counter=counter)
        cpu = percentile(timing.cpu_ms, 0.5)
        print(
            f"  {scenario.name}: this process's CPU per request p50 {cpu:.1f} ms; "
            f"queries {timing.database_ms:.1f} ms (the counted request)",
            flush=True,
        )
        print(timing.line(), flush=True)
        if analyze:
            slowest_queries(scenario, counter)
        if profile_runs:
            profile(scenario, counter, runs=runs)
        results.append(timing)
    return results
