"""Business calendars: working hours and holidays in one time zone, the clock SLA targets run on."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments import business_time

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def validate_time_zone(value: str) -> None:
    # "localtime" follows the host's setting and "Factory" is no place: neither is a business location.
    if value not in available_timezones() or value in {"localtime", "Factory"}:
        message = gettext("“%(value)s” is not a time zone name such as Europe/Berlin or America/New_York.")
        raise ValidationError(message % {"value": value})


class BusinessCalendar(models.Model):
    """Working hours and holidays in one time zone: the clock SLA targets run on."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # The working week and holidays in one column, rewritten whenever they change (admin saves and the
    # holiday import call ``departments.services.calendar_compile``): pages and sweeps read a calendar
    # with the row that references it instead of two more queries. NULL: read the rows.
    compiled = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def to_sla_calendar(self) -> business_time.Calendar:
        """The pure arithmetic calendar: from ``compiled`` when it is there (no query), else from the
        intervals and holidays (through any prefetch)."""
        if self.compiled:
            weekly = {int(day): [tuple(i) for i in spans] for day, spans in self.compiled["weekly"].items()}
            days = [date.fromisoformat(d) for d in self.compiled["holidays"]]
            return business_time.Calendar.build(ZoneInfo(self.time_zone), weekly, days)
        weekly: dict[int, list[business_time.Interval]] = {day: [] for day in range(7)}
        for interval in self.intervals.all():
            weekly[interval.weekday].append(interval.minutes)
        return business_time.Calendar.build(ZoneInfo(self.time_zone), weekly, [h.date for h in self.holidays.all()])

    def compile(self) -> dict[str, object]:
        """The working week and holidays as one JSON value (what ``calendar_compile`` stores)."""
        weekly: dict[str, list[list[int]]] = {str(day): [] for day in range(7)}
        for interval in self.intervals.all():
            weekly[str(interval.weekday)].append(list(interval.minutes))
        return {"weekly": weekly, "holidays": sorted(h.date.isoformat() for h in self.holidays.all())}


def default_sla_calendar() -> business_time.Calendar:
    """Monday to Friday, 09:00-17:00 in the site's time zone: used where no calendar is configured."""
    return business_time.Calendar.build(settings.TIME_ZONE, {day: [(9 * 60, 17 * 60)] for day in range(5)})


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class WorkingInterval(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField()
    end = models.TimeField(help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def minutes(self) -> business_time.Interval:
        end = _minutes(self.end) or business_time.MINUTES_PER_DAY
        return (_minutes(self.start), end)

    def clean(self) -> None:
        if self.start is None or self.end is None:
            return
        start, end = self.minutes
        if end <= start:
            raise ValidationError({"end": gettext("The end must be after the start (use 00:00 for midnight).")})


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_calendar_date")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"
