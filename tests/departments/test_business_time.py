"""Business-time arithmetic as a specification: no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from departments.business_time import (
    MINUTES_PER_DAY,
    Calendar,
    CalendarError,
    add_business_time,
    business_time_between,
    format_duration,
    next_business_instant,
    parse_duration,
    walk_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = {day: [(9 * 60, 17 * 60)] for day in range(5)}
SPLIT_DAY = {day: [(8 * 60, 12 * 60), (13 * 60, 17 * 60)] for day in range(5)}


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def office() -> Calendar:
    return Calendar.build(BERLIN, NINE_TO_FIVE)


def test_four_hours_filed_friday_afternoon_are_due_monday_noon(office: Calendar) -> None:
    # 2026-11-20 is a Friday: one hour left on Friday, three on Monday.
    assert add_business_time(office, berlin(2026, 11, 20, 16), hours(4)) == berlin(2026, 11, 23, 12)


def test_filing_on_a_weekend_starts_the_clock_on_monday_morning(office: Calendar) -> None:
    assert add_business_time(office, berlin(2026, 11, 21, 10), hours(2)) == berlin(2026, 11, 23, 11)


def test_filing_before_opening_starts_at_opening(office: Calendar) -> None:
    assert add_business_time(office, berlin(2026, 11, 24, 6, 30), hours(1)) == berlin(2026, 11, 24, 10)


def test_filing_after_closing_starts_next_working_day(office: Calendar) -> None:
    assert add_business_time(office, berlin(2026, 11, 24, 18), hours(1)) == berlin(2026, 11, 25, 10)


def test_a_target_ending_at_closing_time_is_due_at_closing_time(office: Calendar) -> None:
    assert add_business_time(office, berlin(2026, 11, 24, 9), hours(8)) == berlin(2026, 11, 24, 17)


def test_holidays_are_skipped() -> None:
    calendar = Calendar.build(BERLIN, NINE_TO_FIVE, holidays=[date(2026, 12, 24), date(2026, 12, 25)])
    # Wednesday 23 Dec 16:00 + 2h: one hour Wednesday, Thursday and Friday are holidays, one hour Monday 28th.
    assert add_business_time(calendar, berlin(2026, 12, 23, 16), hours(2)) == berlin(2026, 12, 28, 10)


def test_several_intervals_a_day_skip_the_lunch_break() -> None:
    calendar = Calendar.build(BERLIN, SPLIT_DAY)
    assert add_business_time(calendar, berlin(2026, 11, 24, 11), hours(2)) == berlin(2026, 11, 24, 14)


def test_a_target_longer_than_a_week(office: Calendar) -> None:
    # 50 business hours from Monday 09:00 = 6 days and 2 hours: the second Tuesday at 11:00.
    assert add_business_time(office, berlin(2026, 11, 23, 9), hours(50)) == berlin(2026, 12, 1, 11)


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25 (Sundays).
        (BERLIN, datetime(2026, 3, 27, 16), datetime(2026, 3, 30, 12)),
        (BERLIN, datetime(2026, 10, 23, 16), datetime(2026, 10, 26, 12)),
        # America/New_York: 2026-03-08 and 2026-11-01.
        (NEW_YORK, datetime(2026, 3, 6, 16), datetime(2026, 3, 9, 12)),
        (NEW_YORK, datetime(2026, 10, 30, 16), datetime(2026, 11, 2, 12)),
    ],
)
def test_office_hours_across_dst_changes_keep_wall_clock_hours(
    zone: ZoneInfo, start: datetime, expected: datetime
) -> None:
    calendar = Calendar.build(zone, NINE_TO_FIVE)
    due = add_business_time(calendar, start.replace(tzinfo=zone), hours(4))
    assert due.astimezone(zone).replace(tzinfo=None) == expected


@pytest.mark.parametrize(
    ("zone", "start", "expected_local"),
    [
        (BERLIN, datetime(2026, 3, 28, 12), datetime(2026, 3, 29, 13)),  # 23-hour day
        (BERLIN, datetime(2026, 10, 24, 12), datetime(2026, 10, 25, 11)),  # 25-hour day
        (NEW_YORK, datetime(2026, 3, 7, 12), datetime(2026, 3, 8, 13)),
        (NEW_YORK, datetime(2026, 10, 31, 12), datetime(2026, 11, 1, 11)),
    ],
)
def test_round_the_clock_calendar_counts_real_hours_across_dst(
    zone: ZoneInfo, start: datetime, expected_local: datetime
) -> None:
    calendar = Calendar.always_open(zone)
    due = add_business_time(calendar, start.replace(tzinfo=zone), hours(24))
    assert due - start.replace(tzinfo=zone) == hours(24)
    assert due.astimezone(zone).replace(tzinfo=None) == expected_local


def test_business_time_between_counts_only_working_time(office: Calendar) -> None:
    assert business_time_between(office, berlin(2026, 11, 20, 16), berlin(2026, 11, 23, 12)) == hours(4)
    assert business_time_between(office, berlin(2026, 11, 23, 12), berlin(2026, 11, 20, 16)) == -hours(4)


def test_pause_and_resume_do_not_count_the_paused_time(office: Calendar) -> None:
    """The resolution clock: 8h target, 3h used, paused over the weekend, resumed Monday 10:00."""
    filed = berlin(2026, 11, 19, 9)  # Thursday
    paused = berlin(2026, 11, 19, 12)
    used = business_time_between(office, filed, paused)
    resumed = berlin(2026, 11, 23, 10)  # Monday
    due = add_business_time(office, resumed, hours(8) - used)
    assert due == berlin(2026, 11, 23, 15)


def test_priority_change_recomputes_from_time_already_used(office: Calendar) -> None:
    filed = berlin(2026, 11, 23, 9)
    now = berlin(2026, 11, 23, 11)
    used = business_time_between(office, filed, now)
    # Raised to a 3-hour target after 2 hours: one hour left.
    assert add_business_time(office, now, hours(3) - used) == berlin(2026, 11, 23, 12)


def test_next_business_instant_waits_for_opening(office: Calendar) -> None:
    assert next_business_instant(office, berlin(2026, 11, 21, 10)) == berlin(2026, 11, 23, 9)
    assert next_business_instant(office, berlin(2026, 11, 23, 10)) == berlin(2026, 11, 23, 10)


def test_overlapping_intervals_are_refused() -> None:
    with pytest.raises(CalendarError, match="overlaps"):
        Calendar.build(BERLIN, {0: [(9 * 60, 13 * 60), (12 * 60, 17 * 60)]})


def test_a_calendar_without_working_time_is_refused() -> None:
    with pytest.raises(CalendarError, match="no working time"):
        Calendar.build(BERLIN, {})


def test_naive_datetimes_are_refused(office: Calendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(office, datetime(2026, 11, 23, 9), hours(1))


@pytest.mark.parametrize(
    ("text", "minutes"), [("4h", 240), ("2d 4h", 1200), ("90", 90), ("1d", 480), ("1h30m", 90), (" 2D ", 960)]
)
def test_durations_are_read_as_people_write_them(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "4x", "h", "2d 4", "-3h"])
def test_unreadable_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_format_back_to_what_people_write() -> None:
    assert format_duration(1200) == "2d 4h"
    assert format_duration(90) == "1h 30m"


# --- invariants -------------------------------------------------------------------------------

calendars = st.sampled_from(
    [
        Calendar.build(BERLIN, NINE_TO_FIVE, holidays=[date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1)]),
        Calendar.build(NEW_YORK, SPLIT_DAY),
        Calendar.always_open(BERLIN),
        Calendar.build(NEW_YORK, {5: [(0, 6 * 60)], 6: [(22 * 60, 24 * 60)]}),  # weekend night shifts
    ]
)
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
durations = st.integers(min_value=0, max_value=60 * 24 * 30).map(lambda m: timedelta(minutes=m))
positive = st.integers(min_value=1, max_value=60 * 24 * 10).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations)
def test_a_due_time_is_never_before_filing(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    assert add_business_time(calendar, start, duration) >= start


@settings(max_examples=150, deadline=None)
@given(calendars, instants, positive, positive)
def test_adding_a_then_b_equals_adding_a_plus_b(
    calendar: Calendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    step = add_business_time(calendar, add_business_time(calendar, start, a), b)
    assert step == add_business_time(calendar, start, a + b)


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations)
def test_business_time_between_filing_and_due_equals_the_target(
    calendar: Calendar, start: datetime, duration: timedelta
) -> None:
    assert business_time_between(calendar, start, add_business_time(calendar, start, duration)) == duration


@settings(max_examples=100, deadline=None)
@given(calendars, instants, positive, positive, st.integers(min_value=0, max_value=60 * 24 * 14))
def test_time_while_paused_is_never_counted(
    calendar: Calendar, start: datetime, target: timedelta, used: timedelta, paused_minutes: int
) -> None:
    used = min(used, target)
    paused_at = add_business_time(calendar, start, used)
    resumed_at = paused_at + timedelta(minutes=paused_minutes)
    due = add_business_time(calendar, resumed_at, target - used)
    counted = business_time_between(calendar, start, paused_at) + business_time_between(calendar, resumed_at, due)
    assert counted == target


long_spans = st.integers(min_value=0, max_value=60 * 24 * 800).map(lambda m: timedelta(minutes=m))


with_clock_changes = st.sampled_from(
    [
        Calendar.build(NEW_YORK, {d: [(0, MINUTES_PER_DAY)] for d in range(7)}, holidays=[date(2026, 3, 8)]),
        Calendar.build(BERLIN, {d: [(60, 4 * 60), (20 * 60, MINUTES_PER_DAY)] for d in range(7)}),
        Calendar.build(NEW_YORK, SPLIT_DAY, holidays=[date(2026, 11, 1), date(2026, 12, 25)]),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(calendars, with_clock_changes), instants, long_spans)
def test_summing_whole_days_gives_what_walking_the_intervals_gives(
    calendar: Calendar, start: datetime, span: timedelta
) -> None:
    """Long spans (a clock overdue for months) are summed by days; DST changes and holidays included."""
    end = start + span
    assert business_time_between(calendar, start, end) == walk_between(calendar, start, end)
    assert business_time_between(calendar, end, start) == -walk_between(calendar, start, end)


def test_spans_before_after_and_inside_each_other_give_what_the_walk_gives():
    calendar = Calendar.build(BERLIN, NINE_TO_FIVE, holidays=[date(2026, 12, 24)])
    spans = [
        (datetime(2026, 6, 1, 10, tzinfo=UTC), datetime(2027, 3, 30, 12, tzinfo=UTC)),
        (datetime(2025, 1, 6, 8, tzinfo=UTC), datetime(2025, 2, 1, 8, tzinfo=UTC)),  # before the first span
        (datetime(2027, 5, 1, 8, tzinfo=UTC), datetime(2028, 1, 31, 8, tzinfo=UTC)),  # after it
        (datetime(2026, 12, 20, 8, tzinfo=UTC), datetime(2026, 12, 31, 8, tzinfo=UTC)),  # inside, over a holiday
    ]
    for start, end in spans:
        assert business_time_between(calendar, start, end) == walk_between(calendar, start, end)
