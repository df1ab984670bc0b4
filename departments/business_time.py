"""Business-time arithmetic: pure functions, no ORM, no I/O.

A calendar is a time zone, working intervals per weekday in local wall-clock
minutes, and holidays as local dates. Business time is *real elapsed time*
inside working intervals: on the night clocks change, a 24/7 calendar's day
lasts 23 or 25 hours, and a working interval that straddles the change is as
long as the clock on the wall says it is.

Every datetime in and out is aware. Results are in UTC; callers format them in
whatever zone they show.

The texts people read (errors shown in admin, durations on pages) are translated with
``django.utils.translation``, which reads no database and no file beyond the compiled catalogs.

Invariants (tested with hypothesis in tests/departments/test_business_time.py):
- ``add_business_time(c, t, d) >= t``;
- ``add_business_time(c, add_business_time(c, t, a), b) == add_business_time(c, t, a + b)`` for a > 0;
- ``business_time_between(c, t, add_business_time(c, t, d)) == d``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, ngettext

MINUTES_PER_DAY = 24 * 60
# A calendar must offer working time within this many days of any instant;
# beyond it we stop looking rather than loop for ever on a broken calendar.
MAX_SEARCH_DAYS = 3 * 366

Interval = tuple[int, int]  # (start, end) in minutes after local midnight, 0 <= start < end <= 1440


class CalendarError(ValueError):
    """The calendar cannot be used for arithmetic (no working time, overlapping intervals, ...)."""


def validate_intervals(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted intervals, or ``CalendarError`` naming what is wrong (out of range, empty, overlapping)."""
    ordered = sorted(intervals)
    for start, end in ordered:
        if not (0 <= start < end <= MINUTES_PER_DAY):
            # Translators: an interval of working hours, e.g. "09:00-25:00".
            message = gettext("%(interval)s is not a valid interval within a day.")
            raise CalendarError(message % {"interval": format_interval((start, end))})
    for (s1, e1), (s2, e2) in itertools.pairwise(ordered):
        if s2 < e1:
            # Translators: two intervals of working hours on the same day, e.g. "09:00-13:00 overlaps 12:00-17:00."
            message = gettext("%(first)s overlaps %(second)s.")
            raise CalendarError(message % {"first": format_interval((s1, e1)), "second": format_interval((s2, e2))})
    return ordered


def format_minutes(minutes: int) -> str:
    """Minutes after midnight as a 24-hour clock time, "09:05" (the same in every language)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_interval(interval: Interval) -> str:
    """ "08:00-12:00": the notation of working hours, the same in every language."""
    start, end = interval
    return f"{format_minutes(start)}-{format_minutes(end)}"


@dataclass(frozen=True)
class Calendar:
    """Working time: ``weekly[0]`` is Monday's intervals ... ``weekly[6]`` Sunday's."""

    tz: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    # Months' clock-change days, found once per calendar object (``_change_in_month``).
    _changes: dict[date, date | None] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # Each day's intervals as UTC instants, computed once per day (pages ask about the same few days).
    _days: dict[date, list[tuple[datetime, datetime]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @classmethod
    def build(
        cls,
        tz: str | ZoneInfo,
        weekly: Mapping[int, Sequence[Interval]],
        holidays: Sequence[date] | frozenset[date] = (),
    ) -> Calendar:
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        checked = {day: tuple(validate_intervals(weekly.get(day, ()))) for day in range(7)}
        if not any(checked.values()):
            raise CalendarError(gettext("The calendar has no working time on any day of the week."))
        return cls(tz=zone, weekly=checked, holidays=frozenset(holidays))

    @classmethod
    def always_open(cls, tz: str | ZoneInfo = "UTC") -> Calendar:
        """24/7: every instant is business time."""
        return cls.build(tz, {day: [(0, MINUTES_PER_DAY)] for day in range(7)})

    def _local_instant(self, day: date, minutes: int) -> datetime:
        """The UTC instant at local wall-clock ``minutes`` after midnight of ``day``.

        A wall time skipped by a spring-forward change maps to the instant the
        clocks jumped to (fold=0 with zoneinfo gives the pre-transition offset,
        so 02:30 in a 02:00->03:00 gap becomes 03:30 local, i.e. just after).
        """
        local = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local day, as UTC instants (none on a holiday)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        result = []
        if day not in self.holidays:
            for start_minute, end_minute in self.weekly[day.weekday()]:
                start = self._local_instant(day, start_minute)
                end = self._local_instant(day, end_minute)
                if end > start:
                    result.append((start, end))
        if len(self._days) > 4000:  # a long-lived calendar (a sweep worker) does not grow without bound
            self._days.clear()
        self._days[day] = result
        return result

    def _day_seconds(self, day: date) -> int:
        return sum(int((end - start).total_seconds()) for start, end in self.day_intervals(day))

    def _nominal(self, weekday: int) -> int:
        """Seconds of a weekday's intervals on a day without a clock change."""
        return sum((end - start) * 60 for start, end in self.weekly[weekday])

    def _offset(self, day: date) -> timedelta | None:
        return datetime.combine(day, time()).replace(tzinfo=self.tz).utcoffset()

    def _change_in_month(self, month: date) -> date | None:
        """The day of ``month`` whose next midnight has another UTC offset (zones change at most once a
        month), found by halving; remembered per calendar object."""
        if month in self._changes:
            return self._changes[month]
        following = (month + timedelta(days=32)).replace(day=1)
        found = None
        if self._offset(month) != self._offset(following):
            low, high = month, following  # offset(low) differs from offset(high)
            while (high - low).days > 1:
                middle = low + timedelta(days=(high - low).days // 2)
                if self._offset(middle) == self._offset(low):
                    low = middle
                else:
                    high = middle
            found = low
        self._changes[month] = found
        return found

    def _clock_change_days(self, first: date, last: date) -> list[date]:
        """Days in [first, last] whose local midnight and the next one have different UTC offsets."""
        found = []
        month = first.replace(day=1)
        while month <= last:
            day = self._change_in_month(month)
            if day is not None and first <= day <= last:
                found.append(day)
            month = (month + timedelta(days=32)).replace(day=1)
        return found

    def whole_days(self, first: date, last: date) -> int:
        """Business seconds of the days ``first`` to ``last`` inclusive (0 when ``last`` < ``first``).

        By arithmetic instead of day by day: whole weeks of the working week, less the holidays, corrected
        on the days the clocks change (a 24/7 calendar's day is then 23 or 25 hours). A page showing clocks
        overdue for a year does this in microseconds per clock.
        """
        if last < first:
            return 0
        weeks, rest = divmod((last - first).days + 1, 7)
        total = weeks * sum(self._nominal(day) for day in range(7))
        total += sum(self._nominal((first.weekday() + i) % 7) for i in range(rest))
        for holiday in self.holidays:
            if first <= holiday <= last:
                total -= self._nominal(holiday.weekday())
        for day in self._clock_change_days(first, last):
            if day not in self.holidays:
                total += self._day_seconds(day) - self._nominal(day.weekday())
        return total

    def intervals_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) that end after ``instant``, in order, clipped to start no earlier than it."""
        instant = _utc(instant)
        day = instant.astimezone(self.tz).date() - timedelta(days=1)
        found_any_since = day
        while True:
            for start, end in self.day_intervals(day):
                if end <= instant:
                    continue
                found_any_since = day
                yield max(start, instant), end
            day += timedelta(days=1)
            if (day - found_any_since).days > MAX_SEARCH_DAYS:
                break
        message = ngettext(
            "No working time within %(days)s day (every working day a holiday?).",
            "No working time within %(days)s days (every working day a holiday?).",
            MAX_SEARCH_DAYS,
        )
        raise CalendarError(message % {"days": MAX_SEARCH_DAYS})


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return instant.astimezone(UTC)


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant when ``duration`` of business time has passed since ``start``.

    A zero duration returns ``start`` itself. Otherwise the result is the end
    of the business second that completes the duration, so it never falls on
    a weekend or holiday, and a target that ends exactly at closing time is due
    at closing time, not at the next opening.
    """
    if duration < timedelta(0):
        raise ValueError("Business durations are never negative.")
    start = _utc(start)
    if duration == timedelta(0):
        return start
    remaining = duration
    for begin, end in calendar.intervals_from(start):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise CalendarError("unreachable")  # intervals_from raises first


# Spans longer than this many days are summed by whole days (``Calendar.whole_days``).
WALK_DAYS = 4


def _within(calendar: Calendar, day: date, start: datetime, end: datetime) -> timedelta:
    """Business time of ``day``'s intervals that falls between ``start`` and ``end``."""
    total = timedelta(0)
    for begin, stop in calendar.day_intervals(day):
        overlap = min(stop, end) - max(begin, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time from ``start`` to ``end``; negative when ``end`` is before ``start``.

    Short spans walk the working intervals; long ones (a clock overdue for months) add the partial first
    and last days to the whole days between, read from the calendar's prefix sums. Both give the same
    result (tested against each other, across DST changes and holidays).
    """
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_time_between(calendar, end, start)
    first, last = start.astimezone(calendar.tz).date(), end.astimezone(calendar.tz).date()
    if (last - first).days <= WALK_DAYS:
        return walk_between(calendar, start, end)
    middle = calendar.whole_days(first + timedelta(days=1), last - timedelta(days=1))
    edges = _within(calendar, first, start, end) + _within(calendar, last, start, end)
    # An interval of the day before ``first`` may end after ``start`` (never with intervals inside a day,
    # but a local day's bounds move with DST), so it is counted as the walk would.
    edges += _within(calendar, first - timedelta(days=1), start, end)
    return edges + timedelta(seconds=middle)


def walk_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time from ``start`` to ``end`` (``start`` <= ``end``), interval by interval."""
    total = timedelta(0)
    for begin, stop in calendar.intervals_from(start):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return total


def next_business_instant(calendar: Calendar, instant: datetime) -> datetime:
    """``instant`` if it is within working time, else the next opening (for humane notification times)."""
    begin, _ = next(calendar.intervals_from(_utc(instant)))
    return begin


def parse_duration(text: str) -> int:
    """Business minutes from "4h", "2d 4h", "90m", "1d" or a bare number of minutes.

    A business day here is 8 hours, the unit people use when they say "2 days"
    of work; the calendar decides when those hours fall.
    """
    cleaned = text.strip().lower().replace(",", " ")
    if not cleaned:
        # Translators: 4h, 2d 4h and 90 are what the field reads (d, h, m are fixed): keep them as they are.
        raise ValueError(gettext("Enter a duration such as 4h, 2d 4h or 90 (minutes)."))
    if cleaned.isdigit():
        return int(cleaned)
    units = {"d": 8 * 60, "h": 60, "m": 1}
    total = 0
    number = ""
    seen_unit = False
    for char in cleaned.replace(" ", ""):
        if char.isdigit():
            number += char
        elif char in units and number:
            total += int(number) * units[char]
            number = ""
            seen_unit = True
        else:
            # Translators: %(text)s is what was typed, quoted. The units d, h and m are what the field reads:
            # keep them as they are.
            message = gettext("Cannot read %(text)s: use d (8-hour business days), h and m, e.g. 2d 4h.")
            raise ValueError(message % {"text": repr(text)})
    if number or not seen_unit:
        # Translators: %(text)s is what was typed, quoted. Keep "2d 4h" as it is: it is what the field reads.
        message = gettext("Cannot read %(text)s: put a unit after each number, e.g. 2d 4h.")
        raise ValueError(message % {"text": repr(text)})
    return total


def duration_text(minutes: int) -> str:
    """The inverse of ``parse_duration``: 1200 -> "2d 4h", in the units it reads whatever the language
    (what an input field shows, to be read back)."""
    if minutes == 0:
        return "0m"
    parts = []
    days, rest = divmod(minutes, 8 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if mins:
        parts.append(f"{mins}m")
    return " ".join(parts)


def compact_duration(days: int, hours: int, minutes: int) -> str:
    """A span in abbreviated units, leaving out those that are 0: "1d 4h", "2h 5m", "45m" ("" for nothing).

    One msgid per combination of units rather than pieces glued together, so a language writes, orders and
    spaces its own abbreviations. What a day is (8 business hours, 24 wall-clock hours) is the caller's.
    """
    values = {"days": days, "hours": hours, "minutes": minutes}
    if days and hours and minutes:
        # Translators: a compact duration; d = days, h = hours, m = minutes ("1d 4h 15m").
        return gettext("%(days)sd %(hours)sh %(minutes)sm") % values
    if days and hours:
        # Translators: a compact duration; d = days, h = hours ("1d 4h").
        return gettext("%(days)sd %(hours)sh") % values
    if days and minutes:
        # Translators: a compact duration; d = days, m = minutes ("1d 15m").
        return gettext("%(days)sd %(minutes)sm") % values
    if days:
        # Translators: a compact duration; d = days ("3d").
        return gettext("%(days)sd") % values
    if hours and minutes:
        # Translators: a compact duration; h = hours, m = minutes ("4h 15m").
        return gettext("%(hours)sh %(minutes)sm") % values
    if hours:
        # Translators: a compact duration; h = hours ("4h").
        return gettext("%(hours)sh") % values
    if minutes:
        # Translators: a compact duration; m = minutes ("45m", also "0m").
        return gettext("%(minutes)sm") % values
    return ""


def format_duration(minutes: int) -> str:
    """Business minutes for people to read, in the active language: 1200 -> "2d 4h", 90 -> "1h 30m", 0 -> "0m".

    English reads as ``duration_text`` writes (days of 8 business hours).
    """
    days, rest = divmod(max(0, minutes), 8 * 60)
    hours, mins = divmod(rest, 60)
    return compact_duration(days, hours, mins) or gettext("%(minutes)sm") % {"minutes": 0}
