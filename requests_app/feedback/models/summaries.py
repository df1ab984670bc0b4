"""Summary tables behind the dashboards, the catalog's "what it delivers" and the monthly reviews.

A Celery task (``feedback.summaries_refresh``) rewrites the rows of the days that changed, so pages read a few
hundred small rows instead of aggregating the requests table. Days are the site's days (``TIME_ZONE``).
Times are business seconds as the SLA clocks measured them (``*_used_seconds`` when the clock stopped),
kept per day as lists so medians and percentiles over any range are exact.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Service


class ServiceDay(models.Model):
    """What one service did on one day: filed, first responses, resolutions, ratings."""

    day = models.DateField()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    filed = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    # Of those, how many had a target to meet, and how many met it.
    responded_with_target = models.PositiveIntegerField(default=0)
    responded_in_time = models.PositiveIntegerField(default=0)
    response_seconds = models.JSONField(default=list)
    resolved = models.PositiveIntegerField(default=0)
    resolved_with_target = models.PositiveIntegerField(default=0)
    resolved_in_time = models.PositiveIntegerField(default=0)
    resolution_seconds = models.JSONField(default=list)
    # Ratings given that day: how many 1s, 2s, ... 5s.
    ratings = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_serviceday"
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="serviceday_unique")]
        indexes = [models.Index(fields=["department", "day"], name="serviceday_department_idx")]

    def __str__(self) -> str:
        return f"{self.service_id} on {self.day}"


class RelationDay(models.Model):
    """Who served whom on one day: requester's department × serving department (the company matrix)."""

    day = models.DateField()
    requester_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    filed = models.PositiveIntegerField(default=0)
    measured = models.PositiveIntegerField(default=0, help_text=_("Clocks with a target that stopped this day."))
    in_time = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_relationday"
        indexes = [models.Index(fields=["day"], name="relationday_day_idx")]

    def __str__(self) -> str:
        return f"{self.requester_department_id} → {self.department_id} on {self.day}"


# Age buckets of the backlog, as (label, upper bound in days); the last has no upper bound. The rows store
# counts per bucket, never the labels: pages show them in the reader's language.
BACKLOG_BUCKETS = (
    # Translators: how long requests of a department's backlog have been open.
    (_("under 1 day"), 1),
    # Translators: how long requests of a department's backlog have been open.
    (_("1-3 days"), 3),
    # Translators: how long requests of a department's backlog have been open.
    (_("3-7 days"), 7),
    # Translators: how long requests of a department's backlog have been open.
    (_("1-4 weeks"), 28),
    # Translators: how long requests of a department's backlog have been open.
    (_("over 4 weeks"), None),
)


class DepartmentDay(models.Model):
    """A department's backlog at the end of a day (or now, for today), by age, and thanks received."""

    day = models.DateField()
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    backlog = models.PositiveIntegerField(default=0)
    backlog_buckets = models.JSONField(default=list, help_text=_("Counts per BACKLOG_BUCKETS entry."))
    kudos = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_departmentday"
        constraints = [models.UniqueConstraint(fields=["department", "day"], name="departmentday_unique")]

    def __str__(self) -> str:
        return f"{self.department_id} on {self.day}"


class ServiceSnapshot(models.Model):
    """The catalog's "what it delivered in the last 30 days" per service, rewritten by each refresh."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, primary_key=True, related_name="snapshot")
    window_days = models.PositiveSmallIntegerField(default=30)
    requests = models.PositiveIntegerField(default=0)
    median_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    within_sla_percent = models.FloatField(null=True, blank=True)
    satisfaction = models.FloatField(null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_servicesnapshot"

    def __str__(self) -> str:
        return f"Last {self.window_days} days of {self.service_id}"


class SummaryRun(models.Model):
    """One refresh of the summary tables: pages show when their figures were computed."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    first_day = models.DateField()
    last_day = models.DateField()
    seconds = models.FloatField(default=0)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_statsrun"
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["-finished_at"], name="statsrun_finished_idx", condition=Q(finished_at__isnull=False))
        ]

    def __str__(self) -> str:
        return f"{self.first_day}..{self.last_day} at {self.started_at:%Y-%m-%d %H:%M}"


class MonthlyReview(models.Model):
    """The monthly service review of a department, sent once to its leads (the row is the once)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="monthly_reviews")
    month = models.DateField(help_text=_("The first day of the month reviewed."))
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_monthlyreview"
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["department", "month"], name="monthlyreview_unique")]

    def __str__(self) -> str:
        return f"{self.department} {self.month:%Y-%m}"
