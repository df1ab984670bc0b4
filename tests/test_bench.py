"""The triage benchmark (``bench/run.py``) runs end to end at a tiny size: it generates its data on the test
database, and every scenario, the load included, prints its line with plausible numbers.

Not a timed test: the figures are about PostgreSQL at a million requests (``bench/README.md``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import models

from bench import run as bench_run

SCENARIOS = {
    "queue_default",
    "queue_breached",
    "queue_search",
    "queue_page200",
    "request_page",
    "my_requests",
    "api_queue",
    "file_request",
}
SCENARIO_LINE = re.compile(
    r"^scenario=(?P<name>\w+) n=300 p50_ms=(?P<p50>\d+\.\d) p95_ms=(?P<p95>\d+\.\d) queries=(?P<queries>\d+)$", re.M
)
LOAD_LINE = re.compile(r"^scenario=file_load n=300 rps=(?P<rps>\d+\.\d) p95_ms=(?P<p95>\d+\.\d) errors=0 lost=0$", re.M)


@pytest.mark.django_db(transaction=True)
def test_bench_generates_its_data_and_prints_every_scenario(live_server: Any, capsys: Any) -> None:
    # One connection: Django's live server shares one in-memory SQLite connection between its threads.
    small = ["--requests", "300", "--runs", "3", "--load-seconds", "1.5", "--concurrency", "1"]
    args = bench_run.parse_args([*small, "--server", live_server.url, "--regenerate", "--allow-sqlite", "--force"])

    status = bench_run.run(args, purge_broker=False)

    out = capsys.readouterr().out
    assert status == 0, out
    lines = {m["name"]: m for m in SCENARIO_LINE.finditer(out)}
    assert set(lines) == SCENARIOS, out
    for name, line in lines.items():
        p50, p95, queries = float(line["p50"]), float(line["p95"]), int(line["queries"])
        assert 0 < p50 <= p95 < 10_000, (name, line.group(0))
        assert 0 < queries <= 30, (name, line.group(0))
    load = LOAD_LINE.search(out)
    assert load is not None, out
    assert float(load["rps"]) > 0 and float(load["p95"]) > 0, load.group(0)
    assert "generated 300 requests" in out


def test_bench_refuses_sizes_too_small_to_have_a_queue() -> None:
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--requests", "10"])


FEEDBACK_PAGES = {"department_dashboard", "company_view", "catalog"}
REFRESH_LINE = re.compile(
    r"^scenario=(?P<name>summaries_refresh\w*) n=300 p50_ms=(?P<p50>\d+\.\d) p95_ms=(?P<p95>\d+\.\d) "
    r"queries=(?P<queries>\d+) requests=(?P<requests>\d+) days=(?P<days>\d+)$",
    re.M,
)


@pytest.mark.django_db(transaction=True)
def test_feedback_bench_builds_the_summaries_and_prints_every_scenario(capsys: Any) -> None:
    from bench import feedback
    from requests_app.feedback.models import Feedback, FeedbackFollowUp, Kudos, ServiceDay

    small = ["--requests", "300", "--runs", "3", "--refresh-runs", "1", "--refresh-filings", "5"]
    args = feedback.parse_args([*small, "--regenerate", "--allow-sqlite", "--force"])

    status = feedback.run(args)

    out = capsys.readouterr().out
    assert status == 0, out
    pages = {m["name"]: m for m in SCENARIO_LINE.finditer(out)}
    refreshes = {m["name"]: m for m in REFRESH_LINE.finditer(out)}
    assert set(pages) == FEEDBACK_PAGES and set(refreshes) == {"summaries_refresh", "summaries_refresh_periodic"}, out
    for name, line in {**pages, **refreshes}.items():
        p50, p95, queries = float(line["p50"]), float(line["p95"]), int(line["queries"])
        assert 0 < p50 <= p95, (name, line.group(0))
        assert 0 < queries <= 200, (name, line.group(0))
    assert (
        int(refreshes["summaries_refresh"]["days"]) >= 1 and int(refreshes["summaries_refresh_periodic"]["days"]) == 2
    )
    assert "building the summaries of" in out
    assert ServiceDay.objects.exists()
    assert Feedback.objects.exists()
    assert FeedbackFollowUp.objects.filter(feedback__rating__lte=2).count() == FeedbackFollowUp.objects.count()
    assert not Kudos.objects.filter(sender_id=models.F("recipient_id")).exists()
