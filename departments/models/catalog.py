"""The service catalog: what a department offers, what it needs, what it promises."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments import business_time

from .calendars import BusinessCalendar, default_sla_calendar
from .org import Membership
from .policies import PRIORITY_RANK, Priority

if TYPE_CHECKING:
    from .policies import SLAPolicy, SLATarget


class ServiceQuerySet(models.QuerySet):
    def active(self) -> ServiceQuerySet:
        return self.filter(is_active=True, department__is_active=True)


class Service(models.Model):
    """A catalog entry: what a department offers, what it needs, what it promises."""

    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    description = models.TextField(help_text=_("One or two sentences shown in the catalog."))
    what_you_get = models.TextField(blank=True, help_text=_("The service standard: what the requester receives."))
    what_to_provide = models.TextField(blank=True, help_text=_("What the requester must provide for us to act."))
    default_priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    requester_priority_limit = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text=_(
            "The highest urgency a requester may state when filing. Empty: requesters do not choose; "
            "the department sets the priority."
        ),
    )
    sla_policy = models.ForeignKey(
        "departments.SLAPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text=_("Leave empty to use the department's default policy."),
    )
    calendar = models.ForeignKey(
        "departments.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text=_("Overrides the department's business hours for this service."),
    )
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Gets new requests for this service when the department assigns by service."),
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

    def clean(self) -> None:
        if not (self.default_assignee_id and self.department_id):
            return
        serves_here = Membership.objects.filter(user_id=self.default_assignee_id, department_id=self.department_id)
        if not serves_here.exists():
            raise ValidationError(
                {
                    "default_assignee": gettext(
                        "The default assignee must be an agent or lead of the service's department."
                    )
                }
            )

    @property
    def requester_priorities(self) -> list[str]:
        """The urgencies a requester may state when filing, least urgent first; empty: the department alone
        decides. The one rule for the web form, the API and ``request_file``: a stated urgency starts the
        SLA targets and escalations, so a requester may ask for more only as far as the department allows."""
        if not self.requester_priority_limit:
            return []
        ceiling = PRIORITY_RANK[self.requester_priority_limit]
        return [p.value for p in sorted(Priority, key=PRIORITY_RANK.__getitem__) if PRIORITY_RANK[p] <= ceiling]

    def requester_priority_rule(self) -> str:
        """What a requester may state for this service, said as the reason a stated urgency is refused."""
        if not self.requester_priority_limit:
            return gettext("This service does not let requesters choose the priority; the department sets it.")
        # Translators: %(limit)s is a priority, e.g. "High".
        return gettext("You may state an urgency up to %(limit)s for this service; the department may change it.") % {
            "limit": self.get_requester_priority_limit_display()
        }

    @property
    def effective_sla_policy(self) -> SLAPolicy | None:
        return self.sla_policy or self.department.default_sla_policy

    @property
    def effective_calendar(self) -> BusinessCalendar | None:
        return self.calendar or self.department.calendar

    def sla_calendar(self) -> business_time.Calendar:
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
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    CHECKBOX = "checkbox", _("Checkbox")
    FILE = "file", _("File")


CHOICE_TYPES = {FieldType.CHOICE, FieldType.MULTI_CHOICE}
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class ServiceField(models.Model):
    """One input the requester fills in when filing against a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(
        max_length=50,
        validators=[RegexValidator(FIELD_NAME_RE.pattern, _("Lower-case letters, digits and _; start with a letter."))],
        help_text=_("Machine name, unique within the service (e.g. asset_tag)."),
    )
    label = models.CharField(max_length=120)
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.SHORT_TEXT)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=255, blank=True)
    choices = models.TextField(blank=True, help_text=_("For choice fields: one option per line."))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="servicefield_unique_service_name"),
            models.CheckConstraint(
                condition=~Q(field_type__in=["choice", "multi_choice"]) | ~Q(choices=""),
                name="servicefield_choice_needs_choices",
                violation_error_message=_("A choice field needs at least one choice."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_field_type_display()})"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.field_type in CHOICE_TYPES and not self.choice_list:
            raise ValidationError({"choices": gettext("A choice field needs at least one choice (one per line).")})
        if self.field_type not in CHOICE_TYPES and self.choice_list:
            raise ValidationError({"choices": gettext("Only choice fields take choices; clear this box.")})
        if len(set(self.choice_list)) != len(self.choice_list):
            raise ValidationError({"choices": gettext("Each choice must appear only once.")})
