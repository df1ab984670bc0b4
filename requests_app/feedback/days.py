"""The site's days. The summary tables count per local day in ``TIME_ZONE`` (the company's day, not
UTC's), and every page that reads them asks for the same bounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as clock_time

from django.utils import timezone


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in the site's time zone, as aware datetimes (DST days are 23 or 25 hours)."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, clock_time.min), zone)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), clock_time.min), zone)
    return start, end


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()
