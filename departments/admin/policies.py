"""Admin for SLA policies: targets entered as durations, with a preview of their effect."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments import business_time

from ..audit import AuditedAdmin
from ..forms import (
    SLAPolicyForm,
    SLATargetForm,
    SLATargetFormSet,
)
from ..models import (
    PRIORITY_RANK,
    BusinessCalendar,
    Department,
    Holiday,
    Priority,
    Service,
    SLAPolicy,
    SLATarget,
    default_sla_calendar,
)

DAY_ABBREVIATIONS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Most urgent first, as people read a policy ("critical: 30 minutes ...").
PRIORITIES_BY_URGENCY = sorted(Priority, key=lambda p: -PRIORITY_RANK[p])
PRIORITY_ORDERING = Case(
    *(When(priority=p, then=Value(rank)) for rank, p in enumerate(PRIORITIES_BY_URGENCY)),
    output_field=models.IntegerField(),
)


def format_due(instant: datetime, calendar: business_time.Calendar) -> str:
    """ "Mon 23 Nov 2026 12:00 CET": in the calendar's zone, where the people who must meet it work.

    Day and month names in the active language (Django's own translations of them)."""
    local = instant.astimezone(calendar.tz)
    return dateformat.format(local, "D j M Y H:i T")


def _sentence(text: str, **values: object) -> SafeString:
    """A translated sentence (``%(name)s`` placeholders) as HTML: the sentence and its values escaped, except
    values already safe (a name in ``<strong>``), as ``format_html`` does for ``{}``."""
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(conditional_escape(text) % escaped)  # noqa: S308 - the sentence and every value escaped


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
        return format_html("<p>{}</p>", gettext("Add targets below and save to see when requests would be due."))
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
        default = gettext("Monday-Friday 09:00-17:00, %(time_zone)s") % {"time_zone": settings.TIME_ZONE}
        sections.append((gettext("the default calendar"), default, None, users.get(None, [])))
    return format_html_join("", "{}", ((_preview_section(*section, targets, now),) for section in sections))


def _preview_section(
    name: str,
    detail: str,
    calendar: BusinessCalendar | None,
    users: list[str],
    targets: list[SLATarget],
    now: datetime,
) -> SafeString:
    calendar_name = format_html("<strong>{}</strong>", name)
    users_text = ", ".join(users)
    try:
        arithmetic = calendar.to_sla_calendar() if calendar else default_sla_calendar()
        lines = [
            _sentence(
                # Translators: %(priority)s is a priority in lower case ("high"); the others are due times,
                # e.g. "Mon 23 Nov 2026 12:00 CET".
                gettext(
                    "A %(priority)s request filed now would get a first response by %(first_response)s, "
                    "a resolution by %(resolution)s."
                ),
                priority=target.get_priority_display().lower(),
                first_response=format_due(
                    business_time.add_business_time(arithmetic, now, timedelta(minutes=target.first_response_minutes)),
                    arithmetic,
                ),
                resolution=format_due(
                    business_time.add_business_time(arithmetic, now, timedelta(minutes=target.resolution_minutes)),
                    arithmetic,
                ),
            )
            for target in targets
        ]
    except (business_time.CalendarError, ZoneInfoNotFoundError, ValueError) as exc:
        if users:
            # Translators: %(calendar)s is a calendar's name, %(detail)s its time zone or hours, %(users)s the
            # departments and services using it; %(problem)s says what is wrong with the calendar.
            text = gettext("On %(calendar)s (%(detail)s), used by %(users)s: due times cannot be computed: %(problem)s")
        else:
            # Translators: %(calendar)s is a calendar's name, %(detail)s its time zone or hours; %(problem)s
            # says what is wrong with the calendar.
            text = gettext(
                "On %(calendar)s (%(detail)s), used by no department or service yet: "
                "due times cannot be computed: %(problem)s"
            )
        sentence = _sentence(text, calendar=calendar_name, detail=detail, users=users_text, problem=exc)
        return format_html("<p>{}</p>", sentence)
    if users:
        # Translators: %(now)s is the current time, %(calendar)s a calendar's name, %(detail)s its time zone or
        # hours, %(users)s the departments and services using it. A list of due times follows.
        text = gettext("Filed now (%(now)s) on %(calendar)s (%(detail)s), used by %(users)s:")
    else:
        # Translators: %(now)s is the current time, %(calendar)s a calendar's name, %(detail)s its time zone or
        # hours. A list of due times follows.
        text = gettext("Filed now (%(now)s) on %(calendar)s (%(detail)s), used by no department or service yet:")
    heading = _sentence(text, now=format_due(now, arithmetic), calendar=calendar_name, detail=detail, users=users_text)
    return format_html(
        "<p>{}</p><ul>{}</ul>",
        heading,
        format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
    )


class SLATargetInline(admin.TabularInline):
    """One row per priority; on a new policy every priority gets a row to fill in (empty rows are not saved)."""

    model = SLATarget
    form = SLATargetForm
    formset = SLATargetFormSet
    verbose_name = _("target")
    extra = 0
    max_num = len(Priority.choices)
    fields = ["priority", "first_response_minutes", "resolution_minutes"]
    # Translators: keep 4h and 2d 4h as they are: they are what the fields read.
    verbose_name_plural = _("Targets (in business time: 4h, 2d 4h with a day of 8 hours, or minutes)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SLATarget]:
        return super().get_queryset(request).order_by(PRIORITY_ORDERING)

    def get_extra(self, request: HttpRequest, obj: SLAPolicy | None = None, **kwargs: object) -> int:
        return len(missing_priorities(obj))


def missing_priorities(policy: SLAPolicy | None) -> list[str]:
    """Priorities the policy has no target for yet, most urgent first."""
    present = set(policy.targets.values_list("priority", flat=True)) if policy and policy.pk else set()
    return [p.value for p in PRIORITIES_BY_URGENCY if p not in present]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(AuditedAdmin):
    form = SLAPolicyForm
    list_display = ["name", "targets_summary", "warning_thresholds", "round_the_clock"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "description", "warning_thresholds", "round_the_clock"]}),
        (_("When would a request be due?"), {"fields": ["due_time_preview"]}),
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

    @admin.display(description=_("Targets (first response / resolution)"))
    def targets_summary(self, policy: SLAPolicy) -> str:
        targets = sorted(policy.targets.all(), key=lambda target: -PRIORITY_RANK[target.priority])
        # Translators: one priority's targets in a list, e.g. "High 4h / 2d".
        text = gettext("%(priority)s %(first_response)s / %(resolution)s")
        return ", ".join(
            text
            % {
                "priority": t.get_priority_display(),
                "first_response": business_time.format_duration(t.first_response_minutes),
                "resolution": business_time.format_duration(t.resolution_minutes),
            }
            for t in targets
        )

    @admin.display(description=_("Preview"))
    def due_time_preview(self, policy: SLAPolicy) -> SafeString | str:
        if policy.pk is None:
            return gettext("Save the policy to see when requests would be due.")
        return policy_preview(policy, timezone.now())
