"""Departments and who works in them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from .calendars import BusinessCalendar


class AssignmentRule(models.TextChoices):
    MANUAL = "manual", "Manual: agents claim, leads assign"
    ROUND_ROBIN = "round_robin", "Round robin among agents marked available"
    BY_SERVICE = "by_service", "By service: each service's default assignee"


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
    assignment_rule = models.CharField(
        max_length=20,
        choices=AssignmentRule.choices,
        default=AssignmentRule.MANUAL,
        help_text="How new requests get an assignee, applied when they are filed.",
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
    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    is_available = models.BooleanField(
        "available for assignment",
        default=True,
        help_text="Round robin only assigns to members marked available (off while on leave).",
    )
    round_robin_turn = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department")]
        ordering = ["department__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.department})"


class EmploymentType(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    CONTRACTOR = "contractor", "Contractor"
    TEMP = "temp", "Temporary staff"


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
        help_text="The department this person works in (not the queues they serve).",
    )
    employment = models.CharField(max_length=12, choices=EmploymentType.choices, default=EmploymentType.EMPLOYEE)

    def __str__(self) -> str:
        return f"{self.user} ({self.department or 'no department'})"
