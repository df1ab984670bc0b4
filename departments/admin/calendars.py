"""Admin for business calendars: validated working hours, holidays and the holiday import."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models
from django.db.models import Case, Count, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from departments import business_time

from .. import services
from ..audit import AuditedAdmin, audit_objects, snapshot
from ..forms import (
    BusinessCalendarForm,
    HolidayFormSet,
    HolidayImportForm,
    WorkingIntervalFormSet,
)
from ..models import (
    PRIORITY_RANK,
    BusinessCalendar,
    Holiday,
    Priority,
    WorkingInterval,
)

# Translators: weekday abbreviations in the summary of a working week, e.g. "Mon-Fri 09:00-17:00".
DAY_ABBREVIATIONS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
# Most urgent first, as people read a policy ("critical: 30 minutes ...").
PRIORITIES_BY_URGENCY = sorted(Priority, key=lambda p: -PRIORITY_RANK[p])
PRIORITY_ORDERING = Case(
    *(When(priority=p, then=Value(rank)) for rank, p in enumerate(PRIORITIES_BY_URGENCY)),
    output_field=models.IntegerField(),
)


def week_summary(intervals: Iterable[WorkingInterval]) -> str:
    """ "Mon-Fri 08:00-12:00 and 13:00-17:00, Sat 10:00-14:00": neighbouring days with the same hours share an entry.

    Midnight at the end of a day shows as 24:00, which is what 00:00 means there.
    """
    weekly: dict[int, list[business_time.Interval]] = {day: [] for day in range(7)}
    for interval in intervals:
        weekly[interval.weekday].append(interval.minutes)
    parts = []
    for hours, group in itertools.groupby(range(7), key=lambda day: tuple(sorted(weekly[day]))):
        days = list(group)
        if not hours:
            continue
        span = str(DAY_ABBREVIATIONS[days[0]])
        if len(days) > 1:
            # Translators: a range of weekdays, e.g. "Mon-Fri".
            span = gettext("%(first)s-%(last)s") % {"first": span, "last": DAY_ABBREVIATIONS[days[-1]]}
        times = business_time.format_interval(hours[0])
        for interval in hours[1:]:
            # Translators: working hours of one day, e.g. "08:00-12:00 and 13:00-17:00" (applied once per
            # further interval: "08:00-10:00 and 11:00-12:00 and 13:00-17:00").
            times = gettext("%(intervals)s and %(interval)s") % {
                "intervals": times,
                "interval": business_time.format_interval(interval),
            }
        # Translators: days and their working hours, e.g. "Mon-Fri 08:00-12:00 and 13:00-17:00".
        parts.append(gettext("%(days)s %(hours)s") % {"days": span, "hours": times})
    return ", ".join(parts) or gettext("No working time")


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    formset = WorkingIntervalFormSet
    extra = 1
    fields = ["weekday", "start", "end"]
    formfield_overrides = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}
    verbose_name_plural = _("Working hours (several intervals a day are fine, e.g. 08:00-12:00 and 13:00-17:00)")


class HolidayInline(admin.TabularInline):
    model = Holiday
    formset = HolidayFormSet
    extra = 1
    fields = ["date", "name"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "working_week", "holiday_count"]
    search_fields = ["name"]
    fields = ["name", "time_zone", "working_week"]
    readonly_fields = ["working_week"]
    inlines = [WorkingIntervalInline, HolidayInline]
    actions = ["import_public_holidays"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BusinessCalendar]:
        return super().get_queryset(request).prefetch_related("intervals").annotate(holiday_total=Count("holidays"))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """After the inlines are saved, store the compiled week and holidays the engine reads."""
        super().save_related(request, form, formsets, change)
        services.calendar_compile(calendar=form.instance)

    @admin.display(description=_("Working week"))
    def working_week(self, calendar: BusinessCalendar) -> str:
        if calendar.pk is None:
            return gettext("Shown once the calendar is saved.")
        return week_summary(calendar.intervals.all())

    @admin.display(description=_("Holidays"), ordering="holiday_total")
    def holiday_count(self, calendar: BusinessCalendar) -> int:
        return calendar.holiday_total

    @admin.action(description=_("Import public holidays"), permissions=["change"])
    def import_public_holidays(self, request: HttpRequest, queryset: QuerySet[BusinessCalendar]) -> HttpResponse | None:
        """An intermediate page asks what to import; on a valid answer, each selected calendar gets the holidays."""
        calendars = list(queryset)
        form = HolidayImportForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            country, subdiv, years = form.cleaned_data["country"], form.cleaned_data["subdiv"] or None, form.years
            try:
                befores = [snapshot(c) for c in calendars]
                results = [
                    (c, services.calendar_import_holidays(calendar=c, country=country, subdiv=subdiv, years=years))
                    for c in calendars
                ]
                audit_objects(request.user, calendars, befores)
            except NotImplementedError as exc:
                # The form checks the codes against the package's list; this catches what that list misses.
                # Translators: %(problem)s is the holidays package's own (English) explanation.
                message = gettext("The holidays package cannot import this: %(problem)s.") % {"problem": exc}
                form.add_error(None, message)
            else:
                for calendar, (imported, existing) in results:
                    message = ngettext(
                        "Imported %(count)s holiday (%(existing)s already there) into %(calendar)s.",
                        "Imported %(count)s holidays (%(existing)s already there) into %(calendar)s.",
                        imported,
                    ) % {"count": imported, "existing": existing, "calendar": calendar.name}
                    self.message_user(request, message, messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import public holidays"),
            "opts": self.model._meta,
            "form": form,
            "calendars": calendars,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "import_public_holidays",
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/departments/businesscalendar/import_holidays.html", context)
