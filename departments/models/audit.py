"""The audit log of configuration changes made in admin: who changed what, when, before → after.

Append-only: admin shows it read-only, and nothing in the app updates or deletes an entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ADDED = "added", _("Added")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    model = models.CharField(max_length=60, help_text=_("What kind of thing, e.g. “SLA policy”."))
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    # {"field": [before, after]}; related rows (targets, working hours, members...) as lists of texts.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["model", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self) -> str:
        # Translators: an audit log entry, e.g. "Changed SLA policy “Standard”".
        text = gettext("%(action)s %(model)s “%(object)s”")
        return text % {"action": self.get_action_display(), "model": self.model, "object": self.object_repr}
