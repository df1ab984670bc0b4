"""Service requests, their conversation, attachments and history.

Models hold fields, constraints and cheap properties only; every write goes
through ``requests_app.services`` so that each change records its event.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from departments.models import Department, Priority, Service


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on requester"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Statuses in which the request still needs work from someone.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)
FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)


class ServiceRequest(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="requests")
    # Denormalised from service so the queue filters on one indexed column. No index of its own: the
    # composite queue indexes and the unique (department, number) lead with it, and every index costs
    # each sweep UPDATE (see bench/README.md).
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="requests", db_index=False)
    number = models.PositiveIntegerField()
    reference = models.CharField(max_length=20)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_requests", db_index=False
    )
    title = models.CharField(max_length=200)
    values = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    resolution_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now_add=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)

    # SLA clocks (see requests_app/sla_engine.py). Each clock keeps its target,
    # the business time used before its current run, and since when it runs;
    # due times are stored so pages sort by them and the sweep never recomputes.
    first_response_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    first_response_used_seconds = models.PositiveIntegerField(default=0)
    first_response_running_since = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_used_seconds = models.PositiveIntegerField(default=0)
    resolution_running_since = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    # The earliest due time of the clocks that run: the queue's default sort.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever due times move: reminders are unique per generation.
    sla_generation = models.PositiveIntegerField(default=0)
    # When the sweep must next look at this request (a warning, breach,
    # reminder or auto-close falls due); NULL when nothing is scheduled.
    sla_next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["department", "number"], name="request_unique_department_number"),
            # A constraint, not unique=True: the latter adds a LIKE index nothing uses.
            models.UniqueConstraint(fields=["reference"], name="request_unique_reference"),
        ]
        indexes = [
            models.Index(fields=["department", "status", "-created_at"], name="request_queue_status_idx"),
            models.Index(fields=["department", "-priority_rank", "created_at"], name="request_queue_priority_idx"),
            models.Index(fields=["department", "assignee", "status"], name="request_queue_assignee_idx"),
            models.Index(fields=["requester", "-updated_at"], name="request_requester_idx"),
            models.Index(fields=["department", "next_due_at"], name="request_queue_due_idx"),
            models.Index(
                fields=["sla_next_check_at"],
                name="request_sla_check_idx",
                condition=Q(sla_next_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("requests_app:request_detail", kwargs={"reference": self.reference})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under a random two-letter folder: user file names never reach the file system."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"


class Comment(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="request_comments")
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="Internal notes are never shown to the requester.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="comment_request_idx")]

    def __str__(self) -> str:
        kind = "note" if self.internal else "reply"
        return f"{kind} by {self.author} on {self.request.reference}"


class Attachment(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    field_name = models.CharField(max_length=50, blank=True, help_text="The service field this file answers, if any.")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("requests_app:attachment_download", kwargs={"pk": self.pk})

    @property
    def internal(self) -> bool:
        return self.comment is not None and self.comment.internal


class EventKind(models.TextChoices):
    FILED = "filed", "Filed"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breached"
    REQUESTER_REMINDED = "requester_reminded", "Requester reminded"
    AUTO_CLOSE_WARNING = "auto_close_warning", "Auto-close warning sent"
    AUTO_CLOSED = "auto_closed", "Closed after silence"
    FEEDBACK_REQUESTED = "feedback_requested", "Feedback requested"
    PROMISE_MADE = "promise_made", "Update promised"
    PROMISE_KEPT = "promise_kept", "Promise kept"
    PROMISE_REMINDER = "promise_reminder", "Promise reminder sent"
    PROMISE_MISSED = "promise_missed", "Promise missed"
    STATUS = "status", "Status changed"
    ASSIGNED = "assigned", "Assignee changed"
    PRIORITY = "priority", "Priority changed"
    REPLY = "reply", "Public reply"
    NOTE = "note", "Internal note"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    CANCELLED = "cancelled", "Cancelled"


class RequestEvent(models.Model):
    """Append-only history: who changed what, from what to what, when."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
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
        indexes = [models.Index(fields=["request", "created_at"], name="event_request_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(kind=""), name="event_kind_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.from_value} → {self.to_value}"


class Clock(models.TextChoices):
    NONE = "", "—"
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    WAITING = "waiting", "Waiting on requester"
    PROMISE = "promise", "Promised update"


class NotificationKind(models.TextChoices):
    REQUEST_FILED = "request_filed", "New request"
    PUBLIC_REPLY = "public_reply", "Public reply"
    REQUEST_RESOLVED = "request_resolved", "Resolved"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breach escalation"
    REQUESTER_REMINDER = "requester_reminder", "Reminder to requester"
    AUTO_CLOSE_WARNING = "auto_close_warning", "Last warning before auto-close"
    AUTO_CLOSED = "auto_closed", "Closed after silence"
    FEEDBACK_REQUEST = "feedback_request", "Feedback request"
    PROMISE_REMINDER = "promise_reminder", "Promise reminder"
    PROMISE_MISSED = "promise_missed", "Promise missed"


class Notification(models.Model):
    """The outbox: one row per message that must go out exactly once.

    The row is written in the same transaction as the change that causes it,
    under a unique key (request, kind, clock, threshold, generation, subject),
    so a repeated sweep or a redelivered task cannot create a second one. A
    delivery task claims the row with a conditional UPDATE before sending;
    the sweep re-enqueues rows whose delivery was lost (broker down, worker
    killed) once their claim lease has run out.
    """

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="notifications")
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
    recipients = models.TextField(blank=True, help_text="Who it was sent to (filled when sent).")

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
        return f"{self.get_kind_display()} for request {self.request_id}"


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
        return f"Update on request {self.request_id} by {self.due_at}"

    @property
    def is_open(self) -> bool:
        return self.kept_at is None and self.missed_at is None and self.withdrawn_at is None
