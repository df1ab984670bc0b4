"""The notification outbox and promised updates: what the SLA engine sends, exactly once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .requests import ServiceRequest


class Clock(models.TextChoices):
    NONE = "", "—"
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    WAITING = "waiting", _("Waiting on requester")
    PROMISE = "promise", _("Promised update")


class NotificationKind(models.TextChoices):
    REQUEST_FILED = "request_filed", _("New request")
    PUBLIC_REPLY = "public_reply", _("Public reply")
    REQUEST_RESOLVED = "request_resolved", _("Resolved")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach escalation")
    REQUESTER_REMINDER = "requester_reminder", _("Reminder to requester")
    AUTO_CLOSE_WARNING = "auto_close_warning", _("Last warning before auto-close")
    AUTO_CLOSED = "auto_closed", _("Closed after silence")
    FEEDBACK_REQUEST = "feedback_request", _("Feedback request")
    PROMISE_REMINDER = "promise_reminder", _("Promise reminder")
    PROMISE_MISSED = "promise_missed", _("Promise missed")
    REQUEST_TRANSFERRED = "request_transferred", _("Transferred to another department")
    LOW_RATING = "low_rating", _("Low rating to follow up")
    FOLLOW_UP_DONE = "follow_up_done", _("What was done about a low rating")
    KUDOS_RECEIVED = "kudos_received", _("Thanks received")


class Notification(models.Model):
    """The outbox: one row per message that must go out exactly once.

    The row is written in the same transaction as the change that causes it,
    under a unique key (request, kind, clock, threshold, generation, subject),
    so a repeated sweep or a redelivered task cannot create a second one. A
    delivery task claims the row with a conditional UPDATE before sending;
    the sweep re-enqueues rows whose delivery was lost (broker down, worker
    killed) once their claim lease has run out.
    """

    # No index of its own: the exactly-once unique constraint leads with it.
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    clock = models.CharField(max_length=20, choices=Clock.choices, blank=True, default="")
    threshold = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(default=0)
    # The comment (replies) or promise this message is about; 0 when none.
    subject_id = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    send_after = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    recipients = models.TextField(blank=True, help_text=_("Who it was sent to (filled when sent)."))

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "clock", "threshold", "generation", "subject_id"],
                name="notification_exactly_once",
            )
        ]
        indexes = [
            models.Index(fields=["send_after"], name="notification_unsent_idx", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        # Translators: e.g. "SLA warning for request 12" (the id of the request, not its reference).
        return gettext("%(kind)s for request %(id)s") % {"kind": self.get_kind_display(), "id": self.request_id}


class FollowUpPromise(models.Model):
    """“I will update you by Thursday 15:00”: kept by a public reply before then."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="promises")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    kept_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["request", "kept_at"], name="promise_request_idx")]

    def __str__(self) -> str:
        return gettext("Update on request %(id)s by %(due)s") % {"id": self.request_id, "due": self.due_at}

    @property
    def is_open(self) -> bool:
        return self.kept_at is None and self.missed_at is None and self.withdrawn_at is None
