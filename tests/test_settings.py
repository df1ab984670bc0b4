"""Deploy settings: production refuses unsafe values; Celery is configured to lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicedesk.celery import app

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEY = "kR7-x9Qp2Lm4Zt8Vb1Nc6Hs3Jd5Wf0Ye_gUoIaEiTrPqSlMnBvCxZaQwErTyUiOp"


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with ``env``, as a deploy would."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SERVICEDESK_ENV"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import servicedesk.settings as s; print(s.DEBUG)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_with_debug_on() -> None:
    result = load_settings(SERVICEDESK_ENV="production", DEBUG="true", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DEBUG is on in production" in result.stderr


def test_production_refuses_the_development_secret_key() -> None:
    result = load_settings(SERVICEDESK_ENV="production")
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_key_and_debug_off() -> None:
    result = load_settings(SERVICEDESK_ENV="production", SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_malformed_boolean_is_refused_rather_than_guessed() -> None:
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_celery_acknowledges_late_and_requeues_work_of_a_killed_worker() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the visibility timeout applies to the Redis broker")
def test_redis_visibility_timeout_is_longer_than_any_task() -> None:
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > app.conf.task_time_limit > app.conf.task_soft_time_limit


def test_beat_runs_the_sla_sweep_every_period() -> None:
    from django.conf import settings

    entry = app.conf.beat_schedule["sla-sweep"]
    assert entry["task"] == "requests_app.sla_sweep"
    assert entry["schedule"] == settings.SLA_SWEEP_SECONDS


def test_production_refuses_a_short_or_repetitive_secret_key() -> None:
    for key in ("k" * 60, "a-random-but-short-key-of-40-characters!"):
        result = load_settings(SERVICEDESK_ENV="production", SECRET_KEY=key)
        assert result.returncode != 0, key
        assert "at least 50 characters" in result.stderr


def test_the_deploy_check_reports_nothing_for_production_settings() -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SERVICEDESK_ENV"}}
    environment.update(SERVICEDESK_ENV="production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="servicedesk.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_is_https_only_with_hsts_but_lets_load_balancers_reach_healthz() -> None:
    code = (
        "import servicedesk.settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_REDIRECT_EXEMPT)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SERVICEDESK_ENV"}}
    environment.update(SERVICEDESK_ENV="production", SECRET_KEY=GOOD_KEY)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.stdout.strip() == "True True True 31536000 True ['^healthz$']", result.stderr


def test_tasks_have_time_limits_so_a_stuck_task_cannot_hold_a_worker_forever() -> None:
    assert app.conf.task_time_limit == 300
    assert app.conf.task_soft_time_limit == 240
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_beat_runs_the_feedback_sweep_and_the_summary_refresh() -> None:
    from django.conf import settings

    import requests_app.feedback.tasks
    import requests_app.tasks  # noqa: F401

    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["requests_app.feedback_sweep"] == settings.FEEDBACK_SWEEP_SECONDS
    assert schedule["requests_app.stats_refresh"] == settings.SUMMARIES_REFRESH_SECONDS
    assert set(schedule) <= set(app.tasks)  # every scheduled task exists


def test_the_procfile_runs_web_worker_and_beat_on_this_project() -> None:
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert processes["web"].strip().startswith("gunicorn servicedesk.wsgi")
    assert processes["worker"].strip().startswith("celery -A servicedesk worker")
    assert processes["beat"].strip().startswith("celery -A servicedesk beat")
    assert "migrate" in processes["release"]
    for unit in ("web", "worker", "beat"):
        text = (ROOT / "servicedesk" / "deploy" / "systemd" / f"servicedesk-{unit}.service").read_text()
        assert "EnvironmentFile=/etc/servicedesk/servicedesk.env" in text
        assert "Restart=always" in text


def test_postgresql_connections_run_without_parallel_workers_unless_configured() -> None:
    code = "import servicedesk.settings as s; print(s.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
    environment = {**os.environ, "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}

    def options(**env: str) -> str:
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert options() == "-c max_parallel_workers_per_gather=0"
    assert options(DB_MAX_PARALLEL_WORKERS_PER_GATHER="2") == "-c max_parallel_workers_per_gather=2"


@pytest.mark.django_db
def test_the_connection_really_has_no_parallel_workers() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.django_db
def test_the_requests_table_is_vacuumed_at_two_percent_dead_rows() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL table setting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'requests_app_servicerequest'")
        options = set(cursor.fetchone()[0] or [])
    assert {"autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.02"} <= options
