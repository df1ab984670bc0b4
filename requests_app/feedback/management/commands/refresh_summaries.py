"""Rebuild the dashboards' summary tables for the last N days (after an import, a restore, or a fix).

The periodic task keeps today and yesterday current; older days change only through this command.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from requests_app.feedback.days import local_day
from requests_app.feedback.services.summaries import summaries_refresh


class Command(BaseCommand):
    help = "Recompute the summary tables behind the dashboards for the last N days (default 90)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="How many days back from today (default 90).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        now = timezone.now()
        today = local_day(now)
        run = summaries_refresh(days=[today - timedelta(days=n) for n in range(days)], now=now)
        self.stdout.write(f"Summaries of {run.first_day} to {run.last_day} rebuilt in {run.seconds:.1f} s.")
