"""Per-person rate limits: filing requests, replies and internal notes, and calls to the API.

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

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.cache.backends.redis import RedisCache
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


@dataclass(frozen=True)
class Call:
    """One call to count: whose, in which scope, under which limit."""

    scope: str
    user_id: int
    limit: Limit


def _key(call: Call, window: int) -> str:
    return f"throttle:{call.scope}:{call.user_id}:{window}"


_CLIENTS: dict[str, redis.Redis] = {}


def _redis_for(cache: RedisCache) -> redis.Redis:
    """A client of our own on the cache's server, for the pipeline Django's cache API does not offer.

    It talks to the server that Django's ``RedisCache`` writes to (the first of its ``LOCATION``
    URLs), so the keys it counts are the cache's keys. One client (and connection pool) per process
    and location: redis-py's pool is thread-safe.
    """
    location = settings.CACHES[DEFAULT_CACHE_ALIAS]["LOCATION"]
    url = location[0] if isinstance(location, list | tuple) else str(location).split(",")[0]
    client = _CLIENTS.get(url)
    if client is None:
        client = _CLIENTS[url] = redis.Redis.from_url(url)
    return client


def _count_in_redis(cache: RedisCache, keyed: list[tuple[str, int]]) -> list[int]:
    """Create-if-missing and increment every key in one atomic round trip (``MULTI``: SET NX EX, INCR).

    Filing counts against two limits; through Django's cache API that is three round trips per limit
    (add; exists and incr), a noticeable share of a filing's cost. The keys are the cache's own (its
    prefix and version), so ``cache.incr`` elsewhere counts the same calls.
    """
    pipe = _redis_for(cache).pipeline(transaction=True)
    for key, timeout in keyed:
        name = cache.make_and_validate_key(key)
        pipe.set(name, 0, ex=timeout, nx=True)
        pipe.incr(name)
    replies = pipe.execute()
    return [int(count) for count in replies[1::2]]


def _count_in_cache(cache: BaseCache, keyed: list[tuple[str, int]]) -> list[int]:
    """The same through the generic cache API, for the file-based cache of the embedded setup."""
    counts = []
    for key, timeout in keyed:
        cache.add(key, 0, timeout=timeout)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr: this call starts the window
            cache.add(key, 1, timeout=timeout)
            counts.append(1)
    return counts


def hits(calls: list[Call], now: float | None = None) -> Verdict:
    """Count each call in its window; refuse when any window's count is used up (the longest wait wins).

    The calls are limits in order ("api", then "file"): once one refuses, the later ones were counted
    for nothing, so their counts are taken back (a person over the API limit keeps their filings).
    """
    now = time.time() if now is None else now
    counted = [c for c in calls if c.limit.count > 0]
    if not counted:
        return Verdict(True)
    windows = [int(now // c.limit.seconds) for c in counted]
    keyed = [(_key(c, w), c.limit.seconds + 1) for c, w in zip(counted, windows, strict=True)]
    cache = caches[DEFAULT_CACHE_ALIAS]
    try:
        counts = _count_in_redis(cache, keyed) if isinstance(cache, RedisCache) else _count_in_cache(cache, keyed)
    except Exception:  # noqa: BLE001 - the cache (Redis) is down: serve, do not fail the person
        # A limit is a protection, not a requirement: with its store unreachable the call goes through
        # (the outage is logged, and /healthz reports the broker on the same Redis).
        scopes = ", ".join(c.scope for c in counted)
        logger.warning("Rate limit store unreachable; %s call of user %s allowed unchecked", scopes, calls[0].user_id)
        return Verdict(True)
    refused = [i for i, (c, count) in enumerate(zip(counted, counts, strict=True)) if count > c.limit.count]
    if not refused:
        return Verdict(True)
    _take_back(cache, [key for key, _ in keyed[refused[0] + 1 :]])
    waits = [max(1, int((windows[i] + 1) * counted[i].limit.seconds - now) + 1) for i in refused]
    return Verdict(False, max(waits))


def _take_back(cache: BaseCache, keys: list[str]) -> None:
    for key in keys:
        try:
            cache.decr(key)
        except Exception:  # noqa: BLE001 - expired meanwhile, or the store went away: nothing to take back
            logger.debug("Rate limit count %s not taken back", key)


def hit(scope: str, user_id: int, limit: Limit, now: float | None = None) -> Verdict:
    """Count one call of ``user_id`` in ``scope``; refuse it when the window's count is used up."""
    return hits([Call(scope, user_id, limit)], now)


def filing_call(user_id: int) -> Call:
    """A filing of ``user_id``, counted against ``RATE_LIMIT_FILING`` (web form and API alike)."""
    return Call("file", user_id, parse_limit(settings.RATE_LIMIT_FILING))


def filing(user_id: int) -> Verdict:
    return hits([filing_call(user_id)])


def reply_call(user_id: int) -> Call:
    """A reply or internal note of ``user_id``, counted against ``RATE_LIMIT_REPLY`` (web and API alike):
    each may carry files and send an email, so a script posting them in a loop floods storage and inboxes."""
    return Call("reply", user_id, parse_limit(settings.RATE_LIMIT_REPLY))


def reply(user_id: int) -> Verdict:
    return hits([reply_call(user_id)])


# A POST to an API view with one of these attributes set also counts against that limit.
POST_LIMITS = {"counts_as_filing": filing_call, "counts_as_reply": reply_call}


class PersonRateThrottle(BaseThrottle):
    """The API's limit per signed-in person (``RATE_LIMIT_API``); filing and replying also count against
    their own limits (``POST_LIMITS``)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return True  # refused as unauthenticated anyway
        calls = [Call("api", user.pk, parse_limit(settings.RATE_LIMIT_API))]
        if request.method == "POST":
            calls.extend(call(user.pk) for flag, call in POST_LIMITS.items() if getattr(view, flag, False))
        verdict = hits(calls)
        self._wait = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
