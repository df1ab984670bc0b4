"""Admin for departments, memberships, the catalog and the SLA engine's configuration.

Service form fields are edited inline; their validation (choices needed,
names unique within a service) runs in ``ServiceField.clean`` and the inline
formset (``departments.forms``), so a bad definition is refused with a message
at the field.

The SLA configuration (business calendars, policies, reminder rules) is
validated with the same rules the engine computes with (``departments.forms``
reuses ``requests_app.sla``), so nothing the admin accepts can make the
arithmetic fail later in a sweep.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models
from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from requests_app import sla

from . import services
from .forms import (
    BusinessCalendarForm,
    HolidayFormSet,
    HolidayImportForm,
    ServiceFieldFormSet,
    SLAPolicyForm,
    SLATargetForm,
    SLATargetFormSet,
    WorkingIntervalFormSet,
)
from .models import (
    PRIORITY_RANK,
    BusinessCalendar,
    Department,
    Holiday,
    Membership,
    Priority,
    ReminderRule,
    Service,
    ServiceField,
    SLAPolicy,
    SLATarget,
    WorkingInterval,
    default_sla_calendar,
)

DAY_ABBREVIATIONS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Most urgent first, as people read a policy ("critical: 30 minutes ...").
PRIORITIES_BY_URGENCY = sorted(Priority, key=lambda p: -PRIORITY_RANK[p])
PRIORITY_ORDERING = Case(
    *(When(priority=p, then=Value(rank)) for rank, p in enumerate(PRIORITIES_BY_URGENCY)),
    output_field=models.IntegerField(),
)


class ReminderRuleInline(admin.StackedInline):
    """At most one per department (the rule is a OneToOne); left untouched, none is saved and defaults apply."""

    model = ReminderRule
    extra = 1
    can_delete = True
    verbose_name_plural = "Reminder rules (leave as is for the defaults)"
    fields = [
        ("remind_requester_after_hours", "promise_reminder_minutes"),
        ("auto_close_after_days", "auto_close_warning_days"),
        ("request_feedback", "escalate_to_leads"),
        "extra_escalation_emails",
    ]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "reference_prefix", "queue_email", "default_sla_policy", "calendar", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["default_sla_policy", "calendar"]
    search_fields = ["name", "reference_prefix"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, ReminderRuleInline]

    def get_fieldsets(self, request: HttpRequest, obj: Department | None = None) -> list[tuple[str | None, dict]]:
        """The SLA settings in a group of their own; every other field as the model lists it, new ones included."""
        service_levels = ["default_sla_policy", "calendar"]
        others = [name for name in self.get_fields(request, obj) if name not in service_levels]
        return [(None, {"fields": others}), ("Service levels", {"fields": service_levels})]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["department", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]


class ServiceFieldInline(admin.TabularInline):
    model = ServiceField
    formset = ServiceFieldFormSet
    extra = 1
    fields = ["position", "name", "label", "field_type", "required", "help_text", "choices"]
    ordering = ["position", "id"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "default_priority", "sla_policy", "calendar", "is_active"]
    list_filter = ["department", "is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["department", "sla_policy", "calendar"]
    inlines = [ServiceFieldInline]


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    """The same rules as the inline on a department, side by side for every department."""

    list_display = [
        "department",
        "remind_requester_after_hours",
        "auto_close_after_days",
        "auto_close_warning_days",
        "request_feedback",
        "escalate_to_leads",
    ]
    list_select_related = ["department"]
    search_fields = ["department__name"]
    fields = ["department", *ReminderRuleInline.fields]


# --- business calendars --------------------------------------------------------------------------


def week_summary(intervals: Iterable[WorkingInterval]) -> str:
    """ "Mon-Fri 08:00-12:00 and 13:00-17:00, Sat 10:00-14:00": neighbouring days with the same hours share an entry.

    Midnight at the end of a day shows as 24:00, which is what 00:00 means there.
    """
    weekly: dict[int, list[sla.Interval]] = {day: [] for day in range(7)}
    for interval in intervals:
        weekly[interval.weekday].append(interval.minutes)
    parts = []
    for hours, group in itertools.groupby(range(7), key=lambda day: tuple(sorted(weekly[day]))):
        days = list(group)
        if not hours:
            continue
        span = DAY_ABBREVIATIONS[days[0]]
        if len(days) > 1:
            span += f"-{DAY_ABBREVIATIONS[days[-1]]}"
        times = " and ".join(f"{sla.format_minutes(start)}-{sla.format_minutes(end)}" for start, end in hours)
        parts.append(f"{span} {times}")
    return ", ".join(parts) or "No working time"


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    formset = WorkingIntervalFormSet
    extra = 1
    fields = ["weekday", "start", "end"]
    formfield_overrides = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}
    verbose_name_plural = "Working hours (several intervals a day are fine, e.g. 08:00-12:00 and 13:00-17:00)"


class HolidayInline(admin.TabularInline):
    model = Holiday
    formset = HolidayFormSet
    extra = 1
    fields = ["date", "name"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "working_week", "holiday_count"]
    search_fields = ["name"]
    fields = ["name", "time_zone", "working_week"]
    readonly_fields = ["working_week"]
    inlines = [WorkingIntervalInline, HolidayInline]
    actions = ["import_public_holidays"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BusinessCalendar]:
        return super().get_queryset(request).prefetch_related("intervals").annotate(holiday_total=Count("holidays"))

    @admin.display(description="Working week")
    def working_week(self, calendar: BusinessCalendar) -> str:
        if calendar.pk is None:
            return "Shown once the calendar is saved."
        return week_summary(calendar.intervals.all())

    @admin.display(description="Holidays", ordering="holiday_total")
    def holiday_count(self, calendar: BusinessCalendar) -> int:
        return calendar.holiday_total

    @admin.action(description="Import public holidays", permissions=["change"])
    def import_public_holidays(self, request: HttpRequest, queryset: QuerySet[BusinessCalendar]) -> HttpResponse | None:
        """An intermediate page asks what to import; on a valid answer, each selected calendar gets the holidays."""
        calendars = list(queryset)
        form = HolidayImportForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            country, subdiv, years = form.cleaned_data["country"], form.cleaned_data["subdiv"] or None, form.years
            try:
                results = [
                    (c, services.calendar_import_holidays(calendar=c, country=country, subdiv=subdiv, years=years))
                    for c in calendars
                ]
            except NotImplementedError as exc:
                # The form checks the codes against the package's list; this catches what that list misses.
                form.add_error(None, f"The holidays package cannot import this: {exc}.")
            else:
                for calendar, (imported, existing) in results:
                    plural = "s" if imported != 1 else ""
                    message = f"Imported {imported} holiday{plural} ({existing} already there) into {calendar.name}."
                    self.message_user(request, message, messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Import public holidays",
            "opts": self.model._meta,
            "form": form,
            "calendars": calendars,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "import_public_holidays",
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/departments/businesscalendar/import_holidays.html", context)


# --- SLA policies --------------------------------------------------------------------------------


def format_due(instant: datetime, calendar: sla.Calendar) -> str:
    """ "Mon 23 Nov 2026 12:00 CET": in the calendar's zone, where the people who must meet it work."""
    local = instant.astimezone(calendar.tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M %Z}"


def policy_preview(policy: SLAPolicy, now: datetime) -> SafeString:
    """When a request filed ``now`` would be due, per priority, on each calendar that this policy runs on.

    A policy runs on the calendar of each department that uses it by default
    and of each service that uses it (a service's own calendar wins over its
    department's), or on the default calendar when nothing uses it yet. Six
    queries whatever the number of departments, services and holidays; only
    holidays from yesterday on are loaded, as nothing earlier can matter.
    """
    targets = sorted(policy.targets.all(), key=lambda target: -PRIORITY_RANK[target.priority])
    if not targets:
        return format_html("<p>{}</p>", "Add targets below and save to see when requests would be due.")
    users: dict[int | None, list[str]] = {}
    for name, calendar_id in Department.objects.filter(default_sla_policy=policy).values_list("name", "calendar_id"):
        users.setdefault(calendar_id, []).append(name)
    services_using = Service.objects.filter(
        Q(sla_policy=policy) | Q(sla_policy__isnull=True, department__default_sla_policy=policy)
    ).values_list("department__name", "name", "calendar_id", "department__calendar_id")
    for department_name, service_name, calendar_id, department_calendar_id in services_using:
        who = users.setdefault(calendar_id or department_calendar_id, [])
        if department_name not in who:
            who.append(f"{department_name}: {service_name}")
    calendars = BusinessCalendar.objects.filter(pk__in=[key for key in users if key is not None]).prefetch_related(
        "intervals", Prefetch("holidays", queryset=Holiday.objects.filter(date__gte=now.date() - timedelta(days=1)))
    )
    sections = [(calendar.name, calendar.time_zone, calendar, users[calendar.pk]) for calendar in calendars]
    if None in users or not users:
        sections.append(
            ("the default calendar", f"Monday-Friday 09:00-17:00, {settings.TIME_ZONE}", None, users.get(None, []))
        )
    return format_html_join("", "{}", ((_preview_section(*section, targets, now),) for section in sections))


def _preview_section(
    name: str,
    detail: str,
    calendar: BusinessCalendar | None,
    users: list[str],
    targets: list[SLATarget],
    now: datetime,
) -> SafeString:
    used_by = f"used by {', '.join(users)}" if users else "used by no department or service yet"
    try:
        arithmetic = calendar.to_sla_calendar() if calendar else default_sla_calendar()
        lines = [
            format_html(
                "A {} request filed now would get a first response by {}, a resolution by {}.",
                target.get_priority_display().lower(),
                format_due(
                    sla.add_business_time(arithmetic, now, timedelta(minutes=target.first_response_minutes)), arithmetic
                ),
                format_due(
                    sla.add_business_time(arithmetic, now, timedelta(minutes=target.resolution_minutes)), arithmetic
                ),
            )
            for target in targets
        ]
    except (sla.CalendarError, ZoneInfoNotFoundError, ValueError) as exc:
        return format_html(
            "<p>On <strong>{}</strong> ({}), {}: due times cannot be computed: {}</p>", name, detail, used_by, exc
        )
    return format_html(
        "<p>Filed now ({}) on <strong>{}</strong> ({}), {}:</p><ul>{}</ul>",
        format_due(now, arithmetic),
        name,
        detail,
        used_by,
        format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
    )


class SLATargetInline(admin.TabularInline):
    """One row per priority; on a new policy every priority gets a row to fill in (empty rows are not saved)."""

    model = SLATarget
    form = SLATargetForm
    formset = SLATargetFormSet
    verbose_name = "target"
    extra = 0
    max_num = len(Priority.choices)
    fields = ["priority", "first_response_minutes", "resolution_minutes"]
    verbose_name_plural = "Targets (in business time: 4h, 2d 4h with a day of 8 hours, or minutes)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SLATarget]:
        return super().get_queryset(request).order_by(PRIORITY_ORDERING)

    def get_extra(self, request: HttpRequest, obj: SLAPolicy | None = None, **kwargs: object) -> int:
        return len(missing_priorities(obj))


def missing_priorities(policy: SLAPolicy | None) -> list[str]:
    """Priorities the policy has no target for yet, most urgent first."""
    present = set(policy.targets.values_list("priority", flat=True)) if policy and policy.pk else set()
    return [p.value for p in PRIORITIES_BY_URGENCY if p not in present]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    form = SLAPolicyForm
    list_display = ["name", "targets_summary", "warning_thresholds", "round_the_clock"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "description", "warning_thresholds", "round_the_clock"]}),
        ("When would a request be due?", {"fields": ["due_time_preview"]}),
    ]
    readonly_fields = ["due_time_preview"]
    inlines = [SLATargetInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SLAPolicy]:
        return super().get_queryset(request).prefetch_related("targets")

    def get_formset_kwargs(
        self, request: HttpRequest, obj: SLAPolicy, inline: admin.options.InlineModelAdmin, prefix: str
    ) -> dict[str, object]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, SLATargetInline):
            # The same on GET and POST, so an extra row left as offered counts as unchanged and is skipped.
            kwargs["initial"] = [{"priority": priority} for priority in missing_priorities(obj)]
        return kwargs

    @admin.display(description="Targets (first response / resolution)")
    def targets_summary(self, policy: SLAPolicy) -> str:
        targets = sorted(policy.targets.all(), key=lambda target: -PRIORITY_RANK[target.priority])
        return ", ".join(
            f"{t.get_priority_display()} {sla.format_duration(t.first_response_minutes)}"
            f" / {sla.format_duration(t.resolution_minutes)}"
            for t in targets
        )

    @admin.display(description="Preview")
    def due_time_preview(self, policy: SLAPolicy) -> SafeString | str:
        if policy.pk is None:
            return "Save the policy to see when requests would be due."
        return policy_preview(policy, timezone.now())
