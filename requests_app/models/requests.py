"""The service request and its workflow statuses."""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Priority, Service


class Status(models.TextChoices):
    NEW = "new", _("New")
    # Translators: the status of a request (it is being worked on), not the verb.
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on requester")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which the request still needs work from someone.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)
FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)
_REFERENCE_MARK = "REFERENCE-MARK"


@lru_cache(maxsize=64)
def _request_url_parts(name: str, script_prefix: str, urlconf: str) -> tuple[str, str]:
    """The URL of the request view ``name`` around its reference, reversed once per script prefix and
    URL configuration."""
    url = reverse(f"requests_app:{name}", kwargs={"reference": _REFERENCE_MARK})
    head, _, tail = url.partition(_REFERENCE_MARK)
    return head, tail


def request_url(reference: str, name: str = "request_detail") -> str:
    """The URL of a request's view (its page, claim, assign...), as ``reverse`` gives it.

    A queue page links every row three times; ``reverse`` costs ~20 µs a call, this a string join.
    """
    head, tail = _request_url_parts(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return head + quote(reference, safe=RFC3986_SUBDELIMS + "/~:@") + tail


class ServiceRequest(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="requests")
    # Denormalised from service so the queue filters on one indexed column. No index of its own: the
    # composite queue indexes lead with it, and every index costs
    # each sweep UPDATE (see bench/README.md).
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="requests", db_index=False)
    number = models.PositiveIntegerField()
    reference = models.CharField(max_length=20)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_requests", db_index=False
    )
    # The requester's home department when they filed: the queue filters on it and the reports read
    # "who serves whom" from it without joining people.
    requester_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
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

    # SLA clocks (see requests_app/clocks.py). Each clock keeps its target,
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
    # When the first running clock passes its first warning threshold: the queue's "at risk" filter
    # compares it with now, as "breached" compares next_due_at, so neither needs business-time SQL.
    at_risk_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever due times move: reminders are unique per generation.
    sla_generation = models.PositiveIntegerField(default=0)
    # When the sweep must next look at this request (a warning, breach,
    # reminder or auto-close falls due); NULL when nothing is scheduled.
    sla_next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The reference is the identity: a transferred request keeps "IT-1042" in HR, so
            # (department, number) is not unique.
            # A constraint, not unique=True: the latter adds a LIKE index nothing uses.
            models.UniqueConstraint(fields=["reference"], name="request_unique_reference"),
        ]
        # The queue's indexes carry (INCLUDE, PostgreSQL only) the columns the sidebar's view counts filter
        # on besides their keys, so each count reads the index alone ("Breached", "At risk", a priority).
        indexes = [
            models.Index(
                fields=["department", "status", "-created_at"], include=["priority"], name="request_queue_status_idx"
            ),
            models.Index(fields=["department", "-priority_rank", "created_at"], name="request_queue_priority_idx"),
            models.Index(
                fields=["department", "assignee", "status"],
                include=["next_due_at", "at_risk_at"],
                name="request_queue_assignee_idx",
            ),
            models.Index(fields=["requester", "-updated_at"], name="request_requester_idx"),
            # With the id: the queue's default sort (nearest due time, then id) reads it in order.
            models.Index(
                fields=["department", "next_due_at", "id"],
                include=["status", "at_risk_at"],
                name="request_queue_due_id_idx",
            ),
            models.Index(
                fields=["sla_next_check_at"],
                name="request_sla_check_idx",
                condition=Q(sla_next_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return request_url(self.reference)

    @cached_property
    def recorded_events(self) -> list[Any]:
        """The events ``services.record`` wrote through this instance, oldest first.

        A request just filed has no history but these, so the API's 201 answers with them instead of
        reading them back (a query and its ORM work on the hottest write path).
        """
        return []

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
