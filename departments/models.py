"""Departments, who works in them, and what they offer (the service catalog).

The SLA policy lives here because a service's promise ("first response within
4 business hours") is part of what the catalog shows; the business-time
arithmetic that turns targets into due times is in ``requests_app``'s SLA engine.
"""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from requests_app import sla


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# Ordering key for "sort by priority": higher number, more urgent.
PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}


WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


def validate_time_zone(value: str) -> None:
    # "localtime" follows the host's setting and "Factory" is no place: neither is a business location.
    if value not in available_timezones() or value in {"localtime", "Factory"}:
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Berlin or America/New_York.")


class BusinessCalendar(models.Model):
    """Working hours and holidays in one time zone: the clock SLA targets run on."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def to_sla_calendar(self) -> sla.Calendar:
        """The pure arithmetic calendar; reads ``intervals`` and ``holidays`` through any prefetch."""
        weekly: dict[int, list[sla.Interval]] = {day: [] for day in range(7)}
        for interval in self.intervals.all():
            weekly[interval.weekday].append(interval.minutes)
        return sla.Calendar.build(ZoneInfo(self.time_zone), weekly, [h.date for h in self.holidays.all()])


def default_sla_calendar() -> sla.Calendar:
    """Monday to Friday, 09:00-17:00 in the site's time zone: used where no calendar is configured."""
    return sla.Calendar.build(settings.TIME_ZONE, {day: [(9 * 60, 17 * 60)] for day in range(5)})


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class WorkingInterval(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def minutes(self) -> sla.Interval:
        end = _minutes(self.end) or sla.MINUTES_PER_DAY
        return (_minutes(self.start), end)

    def clean(self) -> None:
        if self.start is None or self.end is None:
            return
        start, end = self.minutes
        if end <= start:
            raise ValidationError({"end": "The end must be after the start (use 00:00 for midnight)."})


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_calendar_date")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    reference_prefix = models.CharField(
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z][A-Z0-9]{0,7}$", "Use 1-8 capital letters or digits, starting with a letter.")
        ],
        help_text='Shown before request numbers, e.g. "IT" gives IT-1042.',
    )
    description = models.TextField(blank=True)
    queue_email = models.EmailField(
        blank=True, help_text="If set, new-request notifications go here instead of to every agent."
    )
    is_active = models.BooleanField(default=True)
    default_sla_policy = models.ForeignKey(
        "SLAPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Used by services of this department that have no policy of their own.",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
        help_text="Business hours for SLA targets; empty means Monday-Friday 09:00-17:00 in the site's time zone.",
    )
    # The last request number handed out; incremented with a conditional UPDATE
    # in the filing transaction so two filings never share a number.
    last_request_number = models.PositiveIntegerField(default=1000, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("requests_app:queue", kwargs={"slug": self.slug})


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department")]
        ordering = ["department__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.department})"


class SLAPolicy(models.Model):
    """A named set of time commitments, one target per priority."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    warning_thresholds = models.CharField(
        max_length=60,
        default="75",
        help_text="Percentages of a target at which to warn, comma-separated, e.g. 50, 75, 90.",
    )
    round_the_clock = models.BooleanField(
        "24/7",
        default=False,
        help_text="Send warnings and reminders to staff at any hour instead of waiting for working hours.",
    )

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def threshold_list(self) -> list[int]:
        return parse_thresholds(self.warning_thresholds)

    def clean(self) -> None:
        try:
            parse_thresholds(self.warning_thresholds)
        except ValueError as exc:
            raise ValidationError({"warning_thresholds": str(exc)}) from exc


def parse_thresholds(text: str) -> list[int]:
    """ "50, 75" -> [50, 75]; each must be a whole percentage from 1 to 99."""
    values = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip().rstrip("%").strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 99:
            raise ValueError(f"“{part}” is not a warning threshold: use whole percentages from 1 to 99.")
        values.append(int(part))
    return sorted(set(values))


class SLATarget(models.Model):
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Business minutes to the first public reply."
    )
    resolution_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Business minutes to resolution."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="slatarget_unique_policy_priority")]
        ordering = ["policy", "priority"]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"

    def clean(self) -> None:
        if (
            self.first_response_minutes is not None
            and self.resolution_minutes is not None
            and self.resolution_minutes < self.first_response_minutes
        ):
            raise ValidationError(
                {"resolution_minutes": "The resolution target cannot be shorter than the first-response target."}
            )


class ServiceQuerySet(models.QuerySet):
    def active(self) -> ServiceQuerySet:
        return self.filter(is_active=True, department__is_active=True)


class Service(models.Model):
    """A catalog entry: what a department offers, what it needs, what it promises."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    description = models.TextField(help_text="One or two sentences shown in the catalog.")
    what_you_get = models.TextField(blank=True, help_text="The service standard: what the requester receives.")
    what_to_provide = models.TextField(blank=True, help_text="What the requester must provide for us to act.")
    default_priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    sla_policy = models.ForeignKey(
        SLAPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="Leave empty to use the department's default policy.",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="Overrides the department's business hours for this service.",
    )
    is_active = models.BooleanField(default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["department__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "slug"], name="service_unique_department_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.department.name}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("requests_app:service_detail", kwargs={"pk": self.pk})

    @property
    def effective_sla_policy(self) -> SLAPolicy | None:
        return self.sla_policy or self.department.default_sla_policy

    @property
    def effective_calendar(self) -> BusinessCalendar | None:
        return self.calendar or self.department.calendar

    def sla_calendar(self) -> sla.Calendar:
        calendar = self.effective_calendar
        return calendar.to_sla_calendar() if calendar else default_sla_calendar()

    @property
    def promised_target(self) -> SLATarget | None:
        """The target for the service's default priority: the promise the catalog shows.

        Iterates ``targets.all()`` so a prefetch (see the catalog selector) serves it.
        """
        policy = self.effective_sla_policy
        if policy is None:
            return None
        return next((t for t in policy.targets.all() if t.priority == self.default_priority), None)


class FieldType(models.TextChoices):
    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Single choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"
    CHECKBOX = "checkbox", "Checkbox"
    FILE = "file", "File"


CHOICE_TYPES = {FieldType.CHOICE, FieldType.MULTI_CHOICE}
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class ServiceField(models.Model):
    """One input the requester fills in when filing against a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(
        max_length=50,
        validators=[RegexValidator(FIELD_NAME_RE.pattern, "Lower-case letters, digits and _; start with a letter.")],
        help_text="Machine name, unique within the service (e.g. asset_tag).",
    )
    label = models.CharField(max_length=120)
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.SHORT_TEXT)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=255, blank=True)
    choices = models.TextField(blank=True, help_text="For choice fields: one option per line.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="servicefield_unique_service_name"),
            models.CheckConstraint(
                condition=~Q(field_type__in=["choice", "multi_choice"]) | ~Q(choices=""),
                name="servicefield_choice_needs_choices",
                violation_error_message="A choice field needs at least one choice.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_field_type_display()})"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.field_type in CHOICE_TYPES and not self.choice_list:
            raise ValidationError({"choices": "A choice field needs at least one choice (one per line)."})
        if self.field_type not in CHOICE_TYPES and self.choice_list:
            raise ValidationError({"choices": "Only choice fields take choices; clear this box."})
        if len(set(self.choice_list)) != len(self.choice_list):
            raise ValidationError({"choices": "Each choice must appear only once."})


class ReminderRule(models.Model):
    """How a department follows up: requester reminders, auto-close, feedback, escalations.

    A department without a rule gets the defaults below (``ReminderRule.defaults``).
    """

    department = models.OneToOneField(Department, on_delete=models.CASCADE, related_name="reminder_rule")
    remind_requester_after_hours = models.PositiveIntegerField(
        default=16, help_text="Business hours of waiting on the requester before reminding them; 0 never reminds."
    )
    auto_close_after_days = models.PositiveIntegerField(
        default=5,
        help_text="Business days (of 8 business hours) of silence while waiting before closing; 0 never closes.",
    )
    auto_close_warning_days = models.PositiveIntegerField(
        default=1, help_text="Business days before auto-closing to send the requester a last warning."
    )
    request_feedback = models.BooleanField(default=True, help_text="Ask the requester to rate resolved requests.")
    escalate_to_leads = models.BooleanField(default=True, help_text="Send breaches to the department's leads.")
    extra_escalation_emails = models.TextField(
        blank=True, help_text="More addresses that receive breach escalations, one per line or comma-separated."
    )
    promise_reminder_minutes = models.PositiveIntegerField(
        default=60, help_text="Remind an agent this many minutes before a promised update is due."
    )

    class Meta:
        verbose_name = "reminder rule"

    def __str__(self) -> str:
        return f"Reminder rules of {self.department}"

    @classmethod
    def defaults(cls, department: Department) -> ReminderRule:
        return cls(department=department)

    @property
    def extra_escalation_list(self) -> list[str]:
        return [part.strip() for part in re.split(r"[,\s]+", self.extra_escalation_emails) if part.strip()]

    def clean(self) -> None:
        from django.core.validators import validate_email

        for address in self.extra_escalation_list:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError({"extra_escalation_emails": f"“{address}” is not an email address."}) from None
        if self.auto_close_after_days and self.auto_close_warning_days >= self.auto_close_after_days:
            raise ValidationError(
                {"auto_close_warning_days": "The last warning must come before the auto-close (fewer days)."}
            )
