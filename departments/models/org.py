"""Departments and who works in them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .calendars import BusinessCalendar, validate_time_zone


class AssignmentRule(models.TextChoices):
    MANUAL = "manual", _("Manual: agents claim, leads assign")
    ROUND_ROBIN = "round_robin", _("Round robin among agents marked available")
    BY_SERVICE = "by_service", _("By service: each service's default assignee")


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    reference_prefix = models.CharField(
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z][A-Z0-9]{0,7}$", _("Use 1-8 capital letters or digits, starting with a letter."))
        ],
        help_text=_('Shown before request numbers, e.g. "IT" gives IT-1042.'),
    )
    description = models.TextField(blank=True)
    queue_email = models.EmailField(
        blank=True, help_text=_("If set, new-request notifications go here instead of to every agent.")
    )
    is_active = models.BooleanField(default=True)
    default_sla_policy = models.ForeignKey(
        "SLAPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Used by services of this department that have no policy of their own."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
        help_text=_("Business hours for SLA targets; empty means Monday-Friday 09:00-17:00 in the site's time zone."),
    )
    # The last request number handed out; incremented with a conditional UPDATE
    # in the filing transaction so two filings never share a number.
    last_request_number = models.PositiveIntegerField(default=1000, editable=False)
    assignment_rule = models.CharField(
        max_length=20,
        choices=AssignmentRule.choices,
        default=AssignmentRule.MANUAL,
        help_text=_("How new requests get an assignee, applied when they are filed."),
    )
    # Round robin hands the next request to the available member with the lowest turn and gives them
    # the next value of this counter; the department row is locked while filing, so turns never tie.
    round_robin_counter = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("requests_app:queue", kwargs={"slug": self.slug})


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    LEAD = "lead", _("Lead")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    is_available = models.BooleanField(
        _("available for assignment"),
        default=True,
        help_text=_("Round robin only assigns to members marked available (off while on leave)."),
    )
    round_robin_turn = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department")]
        ordering = ["department__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.department})"


class EmploymentType(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    CONTRACTOR = "contractor", _("Contractor")
    TEMP = "temp", _("Temporary staff")


class Profile(models.Model):
    """Where a person belongs: their home department (whom they file for) and how they are employed.

    Optional: someone without a profile files requests like anyone else; their requests simply have
    no requester department in filters and reports.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
        help_text=_("The department this person works in (not the queues they serve)."),
    )
    employment = models.CharField(max_length=12, choices=EmploymentType.choices, default=EmploymentType.EMPLOYEE)
    # The language and time zone this person reads the desk in; blank: the browser's language and the
    # site's TIME_ZONE. Business time stays on the serving department's calendar whatever is chosen here.
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Blank: the language the browser asks for."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Blank: the site's time zone. Times on pages and in emails are shown in this zone."),
    )

    def __str__(self) -> str:
        if self.department is None:
            return gettext("%(person)s (no department)") % {"person": self.user}
        return f"{self.user} ({self.department})"
