"""Per-person rate limits: filing requests, and calls to the API.

A fixed window counter in the shared cache (Redis in production, so every web process counts together):
the first call of a window creates the key with the window as its expiry, each call increments it, and a
call beyond the limit is refused with how long until the window ends (``Retry-After``). Limits come from
settings as "<count>/<seconds>" (``"30/3600"``); a count of 0 switches the limit off.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings: no import at run time
    from rest_framework.request import Request
    from rest_framework.views import APIView


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def parse_limit(text: str) -> Limit:
    """ "30/3600" -> 30 per hour; also "30/hour", "600/minute"; "0/…" means unlimited."""
    try:
        count_text, window = text.split("/", 1)
        count = int(count_text)
        seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}.get(window.strip())
        seconds = seconds if seconds is not None else int(window)
    except (ValueError, AttributeError) as exc:
        raise ImproperlyConfigured(f"A rate limit must look like 30/3600 or 30/hour, not {text!r}") from exc
    if count < 0 or seconds <= 0:
        raise ImproperlyConfigured(f"A rate limit must look like 30/3600 or 30/hour, not {text!r}")
    return Limit(count, seconds)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def hit(scope: str, user_id: int, limit: Limit, now: float | None = None) -> Verdict:
    """Count one call of ``user_id`` in ``scope``; refuse it when the window's count is used up."""
    if limit.count == 0:
        return Verdict(True)
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    key = f"throttle:{scope}:{user_id}:{window}"
    try:
        cache.add(key, 0, timeout=limit.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this call starts the window
            cache.add(key, 1, timeout=limit.seconds + 1)
            count = 1
    except Exception:  # noqa: BLE001 - the cache (Redis) is down: serve, do not fail the person
        # A limit is a protection, not a requirement: with its store unreachable the call goes through
        # (the outage is logged, and /healthz reports the broker on the same Redis).
        logger.warning("Rate limit store unreachable; %s call of user %s allowed unchecked", scope, user_id)
        return Verdict(True)
    if count > limit.count:
        return Verdict(False, max(1, int((window + 1) * limit.seconds - now) + 1))
    return Verdict(True)


def filing(user_id: int) -> Verdict:
    return hit("file", user_id, parse_limit(settings.RATE_LIMIT_FILING))


class PersonRateThrottle(BaseThrottle):
    """The API's limit per signed-in person (``RATE_LIMIT_API``); filing also counts against the filing limit."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return True  # refused as unauthenticated anyway
        verdict = hit("api", user.pk, parse_limit(settings.RATE_LIMIT_API))
        if verdict.allowed and request.method == "POST" and getattr(view, "counts_as_filing", False):
            verdict = filing(user.pk)
        self._wait = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
