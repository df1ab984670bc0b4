"""Personal API tokens: what scripts and integrations sign in with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal token, shown once at creation and stored only as a SHA-256 hash.

    A token is 32 random bytes, so a fast hash is enough (no dictionary to attack); ``prefix``
    finds the row without scanning, and is safe to show ("sd_Ab12Cd34…") on the profile page.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text=_("What it is for, e.g. “monitoring bot”."))
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: until revoked."))
    read_only = models.BooleanField(
        default=False, help_text=_("A read-only token can read what its owner may read, and change nothing.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
