"""Departments and who works in them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from .calendars import BusinessCalendar


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
