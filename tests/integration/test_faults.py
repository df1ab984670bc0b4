"""The load and fault run of ``bench/faults.py``, short: 20 seconds under load with the Celery worker killed
with SIGKILL and Redis stopped, then nothing lost, no 5xx, every notification once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from .conftest import database_url, unavailable

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def faults_database_url() -> str:
    """A database of its own beside the test database, on the same PostgreSQL server."""
    return database_url(f"servicedesk_faults_ci_{os.getpid()}")


def test_twenty_seconds_of_load_with_a_killed_worker_and_a_redis_outage_lose_nothing() -> None:
    if connection.vendor != "postgresql":
        unavailable("the fault run needs PostgreSQL (set DATABASE_URL=postgres://...)")
    if shutil.which("redis-server") is None:
        unavailable("the fault run needs redis-server on PATH")
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "VAR_DIR"}}
    env["DATABASE_URL"] = faults_database_url()

    result = subprocess.run(
        [
            sys.executable,
            "bench/faults.py",
            "--seconds",
            "20",
            "--employees",
            "12",
            "--agents",
            "4",
            "--redis-outage",
            "5",
            "--drain-timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    facts = dict(re.findall(r"(\w+)=(\S+)", report))
    assert facts["http_5xx"] == "0"
    assert facts["lost"] == "0" and int(facts["filed"]) > 0
    assert facts["duplicates"] == "0" and facts["missing"] == "0" and facts["unsent_due"] == "0"
    assert facts["emails_received"] == facts["notifications_sent"]
    assert "worker_killed_at" in facts and "redis_down" in facts
