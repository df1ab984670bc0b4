"""Satisfaction ratings and their follow-ups, and thanks between colleagues."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from requests_app.models import ServiceRequest

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class FeedbackChannel(models.TextChoices):
    PAGE = "page", _("Request page")
    EMAIL = "email", _("Email link")
    API = "api", _("API")


class Feedback(models.Model):
    """The requester's rating of a resolved request, once per request."""

    request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    comment = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=FeedbackChannel.choices, default=FeedbackChannel.PAGE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_feedback"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="feedback_created_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for request {self.request_id}"


# A rating at or below this opens a follow-up for the department's leads.
LOW_RATING = 2


class FeedbackFollowUp(models.Model):
    """A low rating the department's leads must look into; open until a lead records what was done."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="follow_up")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="feedback_follow_ups")
    opened_at = models.DateTimeField(auto_now_add=True)
    action_taken = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_told = models.BooleanField(default=False)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_feedbackfollowup"
        ordering = ["opened_at", "id"]
        indexes = [
            models.Index(
                fields=["department", "opened_at"], name="followup_open_idx", condition=Q(closed_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return gettext("Follow-up of a %(rating)s/5 rating") % {"rating": self.feedback.rating}

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Kudos(models.Model):
    """A thank-you from one colleague to another, for a request both took part in."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="kudos")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kudos_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kudos_received")
    # The department the recipient served the request for (its recognition board shows it).
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="kudos")
    message = models.CharField(max_length=280)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table kept its name when the model moved from requests_app (migration feedback 0001).
        db_table = "requests_app_kudos"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("kudos")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="kudos_recipient_idx"),
            models.Index(fields=["department", "created_at"], name="kudos_department_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "sender", "recipient"], name="kudos_once_per_request"),
            models.CheckConstraint(condition=~Q(sender=models.F("recipient")), name="kudos_not_to_oneself"),
        ]

    def __str__(self) -> str:
        return gettext("%(sender)s thanks %(recipient)s") % {"sender": self.sender, "recipient": self.recipient}
