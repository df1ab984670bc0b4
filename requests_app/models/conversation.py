"""The conversation on a request: replies, internal notes, attachments."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .requests import ServiceRequest


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under a random two-letter folder: user file names never reach the file system."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"


class Comment(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="request_comments")
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text=_("Internal notes are never shown to the requester."))
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department that wrote an internal note: it belongs to them."),
    )
    shared_with = models.ManyToManyField(
        "departments.Department",
        blank=True,
        related_name="+",
        help_text=_("Departments an internal note was shared with on a transfer."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="comment_request_idx")]

    def __str__(self) -> str:
        names = {"author": self.author, "reference": self.request.reference}
        if self.internal:
            return gettext("note by %(author)s on %(reference)s") % names
        return gettext("reply by %(author)s on %(reference)s") % names


class Attachment(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    field_name = models.CharField(
        max_length=50, blank=True, help_text=_("The service field this file answers, if any.")
    )
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
