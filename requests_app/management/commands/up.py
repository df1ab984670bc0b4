"""Run the whole app in the foreground: web, Celery worker and Celery beat.

This is what the README's first command ends with. It migrates, seeds the
demo data on the first run, then supervises three child processes; Ctrl-C (or
SIGTERM) stops all of them, and if one dies the others are stopped too, so a
half-running app never lingers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from departments.models import Department

GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Migrate, seed demo data on first run, and run web + Celery worker + Celery beat until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not create demo data on an empty database.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        if not options["no_seed"] and not Department.objects.exists():
            self.stdout.write("Empty database: creating demo data (first run only)…")
            call_command("seed_demo", stdout=self.stdout)
        elif not options["no_seed"]:
            call_command("seed_demo", "--logins-only", stdout=self.stdout)

        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "servicedesk"]
        # One worker process on SQLite: concurrent writers would only wait on the file lock.
        concurrency = "1" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "2"
        commands = {
            "web": [*manage, "runserver", "--noreload", f"{options['host']}:{options['port']}"],
            "worker": [*celery, "worker", "--loglevel=INFO", f"--concurrency={concurrency}"],
            "beat": [*celery, "beat", "--loglevel=INFO", f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"],
        }
        broker = "Redis" if settings.REDIS_URL else f"embedded filesystem broker in {settings.CELERY_QUEUE_DIR}"
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603 - our own argv
            url = f"http://{options['host']}:{options['port']}/"
            self.stdout.write(
                self.style.SUCCESS(f"\nservicedesk is running at {url}  (database: {database}; broker: {broker})")
            )
            self.stdout.write("Web, Celery worker and Celery beat are running. Press Ctrl-C to stop them all.\n")
            exit_code = 0
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with code {child.returncode}; stopping the others.")
                        stopping = True
                        exit_code = 1
                        break
                time.sleep(0.5)
        finally:
            self._stop_all(children)
        self.stdout.write("Stopped web, worker and beat.")
        if exit_code:
            sys.exit(exit_code)

    def _stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
