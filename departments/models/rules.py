"""How a department follows up on its requests."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .org import Department


class ReminderRule(models.Model):
    """How a department follows up: requester reminders, auto-close, feedback, escalations.

    A department without a rule gets the defaults below (``ReminderRule.defaults``).
    """

    department = models.OneToOneField(Department, on_delete=models.CASCADE, related_name="reminder_rule")
    remind_requester_after_hours = models.PositiveIntegerField(
        default=16,
        help_text=_("Business hours of waiting on the requester before reminding them; 0 never reminds."),
    )
    auto_close_after_days = models.PositiveIntegerField(
        default=5,
        help_text=_("Business days (of 8 business hours) of silence while waiting before closing; 0 never closes."),
    )
    auto_close_warning_days = models.PositiveIntegerField(
        default=1, help_text=_("Business days before auto-closing to send the requester a last warning.")
    )
    request_feedback = models.BooleanField(default=True, help_text=_("Ask the requester to rate resolved requests."))
    escalate_to_leads = models.BooleanField(default=True, help_text=_("Send breaches to the department's leads."))
    extra_escalation_emails = models.TextField(
        blank=True, help_text=_("More addresses that receive breach escalations, one per line or comma-separated.")
    )
    promise_reminder_minutes = models.PositiveIntegerField(
        default=60, help_text=_("Remind an agent this many minutes before a promised update is due.")
    )

    class Meta:
        verbose_name = _("reminder rule")

    def __str__(self) -> str:
        return gettext("Reminder rules of %(department)s") % {"department": self.department}

    @classmethod
    def defaults(cls, department: Department) -> ReminderRule:
        return cls(department=department)

    @property
    def extra_escalation_list(self) -> list[str]:
        return [part.strip() for part in re.split(r"[,\s]+", self.extra_escalation_emails) if part.strip()]

    def clean(self) -> None:
        for address in self.extra_escalation_list:
            try:
                validate_email(address)
            except ValidationError:
                message = gettext("“%(address)s” is not an email address.") % {"address": address}
                raise ValidationError({"extra_escalation_emails": message}) from None
        if self.auto_close_after_days and self.auto_close_warning_days >= self.auto_close_after_days:
            raise ValidationError(
                {"auto_close_warning_days": gettext("The last warning must come before the auto-close (fewer days).")}
            )


# {{ name }} placeholders a canned response may use, and what each stands for.
CANNED_PLACEHOLDERS = {
    "requester_first_name": _("the requester's first name (or user name)"),
    "requester_name": _("the requester's full name"),
    "reference": _("the request's reference, e.g. IT-1042"),
    "title": _("the request's title"),
    "service": _("the service's name"),
    "department": _("the department's name"),
    "agent_first_name": _("the first name of the agent who inserts it"),
    "agent_name": _("the full name of the agent who inserts it"),
}
PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


class CannedResponse(models.Model):
    """A reply a department writes often, with placeholders filled in when an agent inserts it."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="canned_responses")
    title = models.CharField(max_length=120)
    body = models.TextField(
        help_text=_("Markdown. Placeholders: {{ requester_first_name }}, {{ reference }} and others.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department", "title"]
        constraints = [
            models.UniqueConstraint(fields=["department", "title"], name="cannedresponse_unique_department_title")
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        unknown = sorted({m.group(1) for m in PLACEHOLDER_RE.finditer(self.body or "")} - set(CANNED_PLACEHOLDERS))
        if unknown:
            known = ", ".join("{{ %s }}" % name for name in CANNED_PLACEHOLDERS)  # noqa: UP031
            # Translators: %(unknown)s lists one or more {{ name }} placeholders; %(known)s lists the valid ones.
            message = gettext("Unknown placeholder %(unknown)s. Use one of: %(known)s.")
            raise ValidationError({"body": message % {"unknown": ", ".join(unknown), "known": known}})
