"""SLA policies: the time commitments per priority that the catalog shows and the engine keeps."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# Ordering key for "sort by priority": higher number, more urgent.
PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}


class SLAPolicy(models.Model):
    """A named set of time commitments, one target per priority."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    warning_thresholds = models.CharField(
        max_length=60,
        default="75",
        help_text=_("Percentages of a target at which to warn, comma-separated, e.g. 50, 75, 90."),
    )
    round_the_clock = models.BooleanField(
        _("24/7"),
        default=False,
        help_text=_("Send warnings and reminders to staff at any hour instead of waiting for working hours."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def threshold_list(self) -> list[int]:
        return parse_thresholds(self.warning_thresholds)

    def clean(self) -> None:
        try:
            parse_thresholds(self.warning_thresholds)
        except ValueError as exc:
            raise ValidationError({"warning_thresholds": str(exc)}) from exc


def parse_thresholds(text: str) -> list[int]:
    """ "50, 75" -> [50, 75]; each must be a whole percentage from 1 to 99."""
    values = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip().rstrip("%").strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 99:
            message = gettext("“%(value)s” is not a warning threshold: use whole percentages from 1 to 99.")
            raise ValueError(message % {"value": part})
        values.append(int(part))
    return sorted(set(values))


class SLATarget(models.Model):
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text=_("Business minutes to the first public reply.")
    )
    resolution_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text=_("Business minutes to resolution.")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="slatarget_unique_policy_priority")]
        ordering = ["policy", "priority"]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"

    def clean(self) -> None:
        if (
            self.first_response_minutes is not None
            and self.resolution_minutes is not None
            and self.resolution_minutes < self.first_response_minutes
        ):
            raise ValidationError(
                {
                    "resolution_minutes": gettext(
                        "The resolution target cannot be shorter than the first-response target."
                    )
                }
            )
