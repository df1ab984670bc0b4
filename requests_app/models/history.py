"""The append-only history of a request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .requests import ServiceRequest


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    REQUESTER_REMINDED = "requester_reminded", _("Requester reminded")
    AUTO_CLOSE_WARNING = "auto_close_warning", _("Auto-close warning sent")
    AUTO_CLOSED = "auto_closed", _("Closed after silence")
    FEEDBACK_REQUESTED = "feedback_requested", _("Feedback requested")
    PROMISE_MADE = "promise_made", _("Update promised")
    PROMISE_KEPT = "promise_kept", _("Promise kept")
    PROMISE_REMINDER = "promise_reminder", _("Promise reminder sent")
    PROMISE_MISSED = "promise_missed", _("Promise missed")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assignee changed")
    PRIORITY = "priority", _("Priority changed")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")
    TRANSFERRED = "transferred", _("Transferred")
    WATCHER_ADDED = "watcher_added", _("Watcher added")
    WATCHER_REMOVED = "watcher_removed", _("Watcher removed")
    FEEDBACK_GIVEN = "feedback_given", _("Rated")
    FOLLOW_UP_CLOSED = "follow_up_closed", _("Low rating followed up")
    KUDOS = "kudos", _("Thanked")


class RequestEvent(models.Model):
    """Append-only history: who changed what, from what to what, when."""

    # No index of its own: event_request_idx (request, created_at) leads with it, and filing inserts an event.
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    # Internal events (an internal note was added) are hidden from the requester.
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="event_request_idx"),
            # The summary refresh reads one day of one kind of event (filed, replied, resolved).
            models.Index(fields=["kind", "created_at"], name="event_kind_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(kind=""), name="event_kind_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.from_value} → {self.to_value}"
