"""Triage at scale: who held a request when (handoffs), who follows it (watchers), saved queue views,
and the text-search document of each request."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Service

from .requests import ServiceRequest


class Handoff(models.Model):
    """One stretch of time a department held a request: the ledger transfers write.

    Filing opens the first stretch; a transfer closes the open one and opens the next. Exactly one
    stretch per request is open (``ended_at`` NULL) until the request is closed or cancelled, when
    it stays open: "held" means "responsible for", and a closed request is still the last holder's.
    """

    # No indexes of their own: handoff_request_idx and handoff_department_idx lead with them.
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="handoffs", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text=_("Why the previous holder passed the request on."))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["request", "started_at"], name="handoff_request_idx"),
            models.Index(fields=["department", "started_at"], name="handoff_department_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(ended_at__isnull=True), name="handoff_one_open_per_request"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(department)s held request %(id)s from %(start)s") % {
            "department": self.department,
            "id": self.request_id,
            "start": f"{self.started_at:%Y-%m-%d %H:%M}",
        }


class Watcher(models.Model):
    """A colleague the requester asked to follow the request: public conversation and status only."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="watcher_unique_request_user")]
        indexes = [models.Index(fields=["user", "request"], name="watcher_user_idx")]

    def __str__(self) -> str:
        return gettext("%(user)s watches request %(id)s") % {"user": self.user, "id": self.request_id}


class SavedView(models.Model):
    """A named queue filter and sort ("Unassigned and at risk"), personal or shared with the department.

    ``query`` is the queue page's own query string, so the one filter form validates a saved view
    exactly as it validates a typed URL, and a view saved today keeps working when filters are added.
    """

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.TextField(blank=True)
    shared = models.BooleanField(default=False, help_text=_("Shown to every agent and lead of the department."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "owner", "name"], name="savedview_unique_owner_name")
        ]

    def __str__(self) -> str:
        return self.name


class RequestSearch(models.Model):
    """The text a queue search looks in: reference, title, field values and public comments.

    Kept out of the requests table so the SLA sweep's frequent UPDATEs of a request never touch the
    GIN index. On PostgreSQL ``document`` is a ``tsvector`` with a GIN index (added by migration on
    PostgreSQL only) and ``text`` stays empty; on SQLite ``text`` holds the lower-cased words for a
    plain substring match and ``document`` stays NULL.
    """

    request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, primary_key=True, related_name="search")
    document = SearchVectorField(null=True, blank=True)
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"search document of request {self.request_id}"
