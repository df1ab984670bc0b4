"""Real processes for integration tests: a private Redis, a Celery worker, the PostgreSQL test database.

The worker is another process, so it only sees committed data: tests that use it run on
``transactional_db`` and need PostgreSQL (SQLite test databases live in memory). Without
PostgreSQL or ``redis-server`` those tests are skipped, except in CI (``CI=true``), where a
missing service is a failure: CI is where they must run.

Nothing here sleeps to make time pass. Time is data (a request's clocks are moved into the past
in the database); the only waiting is for another process to do its work, by polling.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu.pools
import pytest
from django.db import connection

from bench.processes import RedisServer, count_emails, free_port, wait_until
from servicedesk.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
CLAIM_LEASE_SECONDS = 3


def unavailable(reason: str) -> None:
    """Skip on a laptop, fail in CI: CI promises PostgreSQL and Redis."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


def database_sessions() -> int:
    """Sessions on the test database other than this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own (never the shared one): tests stop it and flush it by restarting it."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(free_port(), workdir)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.process.kill()
            server.process.wait(timeout=10)
            server.process = None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or fail, in CI) before any fixture runs, so a skipped test creates no test database."""
    needs = set(getattr(item, "fixturenames", ()))
    if needs & {"worker_database", "celery_worker_process"} and connection.vendor != "postgresql":
        unavailable(
            f"needs PostgreSQL (the default database is {connection.vendor}): a worker process cannot "
            "see an in-memory SQLite test database; set DATABASE_URL=postgres://..."
        )
    if needs & {"redis_server", "celery_worker_process"} and shutil.which("redis-server") is None:
        unavailable("needs redis-server on PATH")


def database_url(name: str) -> str:
    """A DATABASE_URL for database ``name`` on the PostgreSQL server (and as the user) the tests use."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(name, safe='')}"


@pytest.fixture
def worker_database(transactional_db: None) -> str:
    """The PostgreSQL test database with real commits; returns a DATABASE_URL another process can use."""
    return database_url(connection.settings_dict["NAME"])


def _reset_publishing() -> None:
    """Forget every broker connection this process holds, so the next publish reads ``broker_url`` again.

    ``app.pool`` and ``app.amqp.producer_pool`` are created once from ``connection_for_write()`` and
    kept; kombu's global pool registry keeps them too, keyed by URL.
    """
    kombu.pools.reset()
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_publisher(redis_server: RedisServer, settings: Any) -> Iterator[str]:
    """Point the test process's Celery app at the private Redis, with eager execution off.

    The app read its broker from the settings at import (the filesystem broker, or CI's REDIS_URL).
    The autouse ``_eager_celery`` fixture has already switched eager on; this runs after it and
    restores its value before it restores its own.
    """
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        "broker_transport_options": conf.broker_transport_options,
        "task_always_eager": conf.task_always_eager,
    }
    conf.broker_url = redis_server.url
    conf.broker_transport_options = {"visibility_timeout": 3600}
    conf.task_always_eager = False
    _reset_publishing()
    # A sweep run in this process follows the same rules as the worker's.
    settings.NOTIFICATION_CLAIM_LEASE_SECONDS = CLAIM_LEASE_SECONDS
    settings.NOTIFICATION_REQUEUE_GRACE_SECONDS = 0
    try:
        yield redis_server.url
    finally:
        for key, value in saved.items():
            setattr(conf, key, value)
        _reset_publishing()


class CeleryWorker:
    """``celery worker`` as a child process group: started, killed (any signal) and restarted by tests."""

    def __init__(self, env: dict[str, str], workdir: Path, mail_dir: Path, server: RedisServer) -> None:
        self.env = env
        self.workdir = workdir
        self.mail_dir = mail_dir
        self.server = server
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        # Messages a killed worker had taken but not acknowledged: Redis keeps them invisible for the
        # visibility timeout (an hour), so the broker counts as idle without them.
        self.orphaned: set[bytes] = set()

    @property
    def log_path(self) -> Path:
        return self.workdir / f"worker-{self.starts}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        assert self.process is None, "already running"
        # A killed worker's PostgreSQL sessions end when they next talk to their client (at once when
        # idle, after the lock when waiting for one); until then they hold the rows they locked.
        wait_until(lambda: database_sessions() == 0, 30, "the killed worker's database sessions to end")
        self.starts += 1
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "servicedesk",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--hostname=integration-{self.starts}@%h",
            # Alone on its broker: nobody to synchronise with at startup.
            "--without-mingle",
            "--without-gossip",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._ready, timeout=60, message="the Celery worker to log 'ready.'")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.log()[-4000:]}")
        return " ready." in self.log()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (main process and pool children) and wait for the main process."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if sig == signal.SIGKILL:
            with self.server.client() as client:
                self.orphaned |= set(client.hkeys("unacked"))
        self.process = None

    def restart(self) -> None:
        self.kill(signal.SIGKILL)
        self.start()

    def emails(self) -> Counter[int]:
        return count_emails(self.mail_dir)

    def broker_is_idle(self) -> bool:
        """Nothing queued and nothing taken but unacknowledged (tasks acknowledge late, when done)."""
        with self.server.client() as client:
            queued = any(client.type(key) == b"list" and client.llen(key) for key in client.scan_iter())
            taken = set(client.hkeys("unacked")) - self.orphaned
        return not queued and not taken

    def wait_until_idle(self, timeout: float = 60) -> None:
        """Idle twice in a row, 0.2 s apart: a message is briefly in neither place while being taken."""
        seen: list[bool] = []

        def settled() -> bool:
            seen.append(self.broker_is_idle())
            return seen[-2:] == [True, True]

        wait_until(settled, timeout, message="the worker to finish everything queued")


@pytest.fixture
def celery_worker_process(
    worker_database: str, redis_server: RedisServer, celery_publisher: str, tmp_path: Path
) -> Iterator[CeleryWorker]:
    """A real prefork worker on the private Redis and the test database, writing mail to files."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    workdir = tmp_path / "worker"
    workdir.mkdir()
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DJANGO_", "EMAIL_", "NOTIFICATION_", "PYTEST_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "SERVICEDESK_ENV", "DEBUG", "VAR_DIR", "SLA_SWEEP_SECONDS"}
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
        "DATABASE_URL": worker_database,
        "REDIS_URL": redis_server.url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "NOTIFICATION_CLAIM_LEASE_SECONDS": str(CLAIM_LEASE_SECONDS),
        "NOTIFICATION_REQUEUE_GRACE_SECONDS": "0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    worker = CeleryWorker(env, workdir, mail_dir, redis_server)
    worker.start()
    try:
        yield worker
    finally:
        worker.kill(signal.SIGKILL)
        # The database is flushed next, and dropped at the end of the session: nobody else may be in it.
        wait_until(lambda: database_sessions() == 0, 30, "the worker's database sessions to end")
