"""Issue 5: the feedback loop at scale. The department dashboard, the company view and the catalog under
100 ms at a million requests; the summary refresh of a day with about 5,000 requests under 10 seconds.

``python bench/feedback.py --requests N`` (default 1,000,000) uses the data set of ``bench/run.py``
(generated once, with its ratings, follow-ups and thanks; see ``bench/feedback_sql.py``), rebuilds the
summary tables of its two years when they are missing or older than the data, then prints one line per
scenario:

    scenario=department_dashboard n=1000000 p50_ms=… p95_ms=… queries=…
    scenario=summaries_refresh n=1000000 p50_ms=… p95_ms=… queries=… requests=… days=…

The pages are timed as ``bench/run.py`` times its own (``bench/scenarios.py``): one request through the
whole Django stack as the person who uses the page, warm-ups untimed, then ``--runs`` timed ones.

The refresh is timed on the data's most recent complete days, as many as hold ``--refresh-filings``
filings (the data files about 1,400 a day, so 5,000 take four days): each day of the window costs the
refresh its own queries, so four days of 1,400 take longer than one day of 5,000 would, and the figure
errs on the slow side. ``summaries_refresh_periodic`` times what beat runs every ``SUMMARIES_REFRESH_SECONDS``:
yesterday and today.

Same safety rules as ``bench/run.py``: it refuses SQLite (unless ``--allow-sqlite``) and any database
whose name lacks "bench" (unless ``--force``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the checkout importable for ``bench.*``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database_description, percentile, prepare_database, setup_django
from bench.run import (
    TARGET_REQUESTS,
    add_dataset_options,
    check_dataset_options,
    configure_environment,
    load_average,
)
from bench.scenarios import Scenario, Timing, add_investigation_options, run_chosen
from bench.triage_catalog import DEPARTMENT_SLUG_OF_LEAD
from bench.triage_data import Dataset, ensure_dataset

PAGE_TARGET_MS = 100.0
REFRESH_TARGET_SECONDS = 10.0
REFRESH_FILINGS = 5_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the dashboards, the catalog and the summary refresh on N requests (issue 5).",
        epilog="Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk_bench_triage "
        "python bench/feedback.py --requests 1000000",
    )
    add_dataset_options(parser)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per page (default 50)")
    parser.add_argument("--refresh-runs", type=int, default=5, help="timed summary refreshes (default 5)")
    parser.add_argument(
        "--refresh-filings",
        type=int,
        default=REFRESH_FILINGS,
        help=f"filings the timed refresh covers (default {REFRESH_FILINGS})",
    )
    add_investigation_options(parser)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the summary tables even if they are current")
    args = parser.parse_args(argv)
    check_dataset_options(parser, args)
    if min(args.runs, args.refresh_runs, args.refresh_filings) < 1:
        parser.error("--runs, --refresh-runs and --refresh-filings must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    setup_django()
    reason = prepare_database(allow_sqlite=args.allow_sqlite, force=args.force)
    if reason:
        print(f"ERROR: {reason}")
        return 2
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Generate (or reuse) the data, bring the summaries up to date, time the pages and the refresh."""
    from django.conf import settings

    print(f"database {database_description()}, N={args.requests}, {load_average()}", flush=True)
    if settings.DEBUG:
        print("WARNING: DEBUG is on, so Django logs every query and the timings are inflated; unset DEBUG")
    dataset = ensure_dataset(args.requests, regenerate=args.regenerate)
    ensure_summaries(dataset, rebuild=args.rebuild)
    timings = run_chosen(pages(dataset), args)
    refreshes = []
    if not args.only or "summaries_refresh" in args.only.split(","):
        window = refresh_window(args.refresh_filings)
        refreshes = [
            time_refresh("summaries_refresh", window, n=args.requests, runs=args.refresh_runs),
            time_refresh("summaries_refresh_periodic", None, n=args.requests, runs=args.refresh_runs),
        ]
    print(f"at the end: {load_average()}")
    report(args, timings, refreshes)
    return 0


# --- the summaries ----------------------------------------------------------------------------------


def data_days() -> list[date]:
    """Every local day from the oldest request's to today."""
    from django.utils import timezone

    from requests_app.feedback.days import local_day
    from requests_app.models import ServiceRequest

    oldest = ServiceRequest.objects.order_by("created_at").values_list("created_at", flat=True).first()
    today = local_day(timezone.now())
    first = local_day(oldest) if oldest else today
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def ensure_summaries(dataset: Dataset, *, rebuild: bool) -> None:
    """The summary tables of every day of the data, rebuilt unless a full rebuild since generation holds them."""
    from requests_app.feedback.models import SummaryRun
    from requests_app.feedback.services.summaries import summaries_refresh

    days = data_days()
    current = SummaryRun.objects.filter(
        finished_at__isnull=False, started_at__gte=dataset.generated_at, first_day__lte=days[0]
    ).exists()
    if current and not rebuild:
        print(f"reusing the summaries of {days[0]} to {days[-1]} built since the data was generated", flush=True)
        return
    print(f"building the summaries of {len(days)} days ({days[0]} to {days[-1]})...", flush=True)
    result = summaries_refresh(days=days)
    print(f"  built in {result.seconds:.1f} s ({result.seconds / len(days) * 1000:.0f} ms a day)", flush=True)


# --- the pages --------------------------------------------------------------------------------------


def pages(dataset: Dataset) -> list[Scenario]:
    """The three pages of issue 5, each as the person who reads it."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from departments.models import Service
    from requests_app.feedback.models import FeedbackFollowUp

    users = get_user_model().objects
    as_lead, as_employee = Client(), Client()
    as_lead.force_login(users.get(pk=dataset.lead_id))
    as_employee.force_login(users.get(pk=dataset.heavy_id))
    open_follow_ups = FeedbackFollowUp.objects.filter(department__slug=DEPARTMENT_SLUG_OF_LEAD, closed_at=None).count()
    return [
        Scenario(
            "department_dashboard",
            f"/departments/{DEPARTMENT_SLUG_OF_LEAD}/dashboard/",
            as_lead,
            note=f"IT's dashboard as its lead: the last 30 days, 12 weeks of trend, {open_follow_ups} open follow-ups",
        ),
        Scenario("company_view", "/company/", as_lead, note="every department × every department, as a lead"),
        Scenario(
            "catalog",
            "/",
            as_employee,
            note=f"{Service.objects.count()} services with their 30-day record, as an employee",
        ),
    ]


# --- the refresh ------------------------------------------------------------------------------------


def refresh_window(filings: int) -> list[date]:
    """The most recent complete days (before today), as many as hold ``filings`` filings."""
    from django.db.models import Sum
    from django.utils import timezone

    from requests_app.feedback.days import local_day
    from requests_app.feedback.models import ServiceDay

    today = local_day(timezone.now())
    per_day = dict(
        ServiceDay.objects.filter(day__lt=today).values_list("day").annotate(n=Sum("filed")).order_by("-day")[:60]
    )
    window, total = [], 0
    for day in sorted(per_day, reverse=True):
        window.append(day)
        total += per_day[day]
        if total >= filings:
            break
    if total < filings:
        print(f"WARNING: the last {len(window)} days hold only {total} filings, fewer than {filings}")
    return sorted(window)


def requests_touched(days: list[date]) -> int:
    """The requests filed, first answered, resolved or rated in ``days``: the refresh's work."""
    from django.db.models import Q

    from requests_app.feedback.days import day_bounds
    from requests_app.models import ServiceRequest

    start, end = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    within = {"__gte": start, "__lt": end}
    touched = Q()
    for column in ("created_at", "first_responded_at", "resolved_at", "feedback__created_at"):
        touched |= Q(**{column + k: v for k, v in within.items()})
    return ServiceRequest.objects.filter(touched).order_by().values("pk").distinct().count()


def time_refresh(name: str, days: list[date] | None, *, n: int, runs: int) -> Timing:
    """Refresh the summaries of ``days`` (None: what beat refreshes) ``runs`` times; one untimed counted run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from requests_app.feedback.days import local_day
    from requests_app.feedback.services.summaries import summaries_refresh

    today = local_day(timezone.now())
    shown = days or [today - timedelta(days=1), today]
    touched = requests_touched(shown)
    print(f"{name}: {len(shown)} days ({shown[0]} to {shown[-1]}), {touched} requests with activity", flush=True)
    with CaptureQueriesContext(connection) as captured:
        summaries_refresh(days=days)
    queries = len(captured)
    timings, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        summaries_refresh(days=days)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    timing = Timing(name, n, percentile(timings, 0.5), percentile(timings, 0.95), queries, runs, cpu)
    print(f"  {name}: this process's CPU per refresh p50 {percentile(cpu, 0.5):.0f} ms", flush=True)
    print(f"{timing.line()} requests={touched} days={len(shown)}", flush=True)
    return timing


def report(args: argparse.Namespace, pages: list[Timing], refreshes: list[Timing]) -> None:
    """Each target, met or not; the targets are stated for N=1,000,000."""
    scale = "" if args.requests == TARGET_REQUESTS else f" (the targets are for N={TARGET_REQUESTS})"
    print(f"targets{scale}:")
    for timing in pages:
        verdict = "met" if timing.p95_ms < PAGE_TARGET_MS else "NOT MET"
        print(f"  {timing.name}: p95 {timing.p95_ms:.1f} ms, target under {PAGE_TARGET_MS:.0f} ms: {verdict}")
    if not refreshes:
        return
    refresh = refreshes[0]
    verdict = "met" if refresh.p95_ms < REFRESH_TARGET_SECONDS * 1000 else "NOT MET"
    print(
        f"  {refresh.name}: p95 {refresh.p95_ms / 1000:.2f} s for {args.refresh_filings}+ filings, "
        f"target under {REFRESH_TARGET_SECONDS:.0f} s: {verdict}"
    )


if __name__ == "__main__":
    sys.exit(main())
