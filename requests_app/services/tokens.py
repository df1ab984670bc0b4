"""Personal API tokens: created (the secret shown once), checked, revoked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.models import Profile

from ..models import ApiToken
from .filing import HOME_DEPARTMENT_ATTRIBUTE

TOKEN_PREFIX = "sd_"  # noqa: S105 - a marker, not a secret
MAX_ACTIVE_TOKENS = 20
# A token's last use is written at most this often, so an integration polling every second does
# not turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Say what the token is for, so you know which one to revoke later.")})
    if ApiToken.objects.filter(user=user, revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {
                "name": ngettext(
                    "You have %(count)s active token; revoke one first.",
                    "You have %(count)s active tokens; revoke one first.",
                    MAX_ACTIVE_TOKENS,
                )
                % {"count": MAX_ACTIVE_TOKENS}
            }
        )
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name[:80], prefix=prefix, token_hash=_hash(raw))
    return token, raw


def api_token_revoke(*, token: ApiToken, by: AbstractBaseUser) -> ApiToken:
    if token.user_id != by.pk:
        raise PermissionDenied(_("You can only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.revoked_at)
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching ``raw`` (with its user), or None; compares hashes in constant time."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    found = list(
        ApiToken.objects.select_related("user", "user__profile").filter(prefix=prefix, revoked_at=None).order_by()[:1]
    )
    token = found[0] if found else None
    if token is None or not hmac.compare_digest(token.token_hash, _hash(raw)) or not token.user.is_active:
        return None
    try:
        home = token.user.profile.department_id  # joined above: no query, also when there is no profile
    except Profile.DoesNotExist:
        home = None
    # Filing records the requester's home department; it reads this instead of querying the profile.
    setattr(token.user, HOME_DEPARTMENT_ATTRIBUTE, home)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
