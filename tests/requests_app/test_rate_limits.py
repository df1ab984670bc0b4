"""Per-person rate limits on filing (web and API) and on the API: 429 with Retry-After, nothing lost or saved."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from requests_app import services, throttle
from requests_app.models import ServiceRequest

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

START = datetime(2030, 3, 4, 10, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_start() -> Any:
    """Signed in and counting at START: sessions made today would have expired by then."""
    with time_machine.travel(START, tick=False):
        yield


def laptop_form(title: str) -> dict[str, str]:
    return {"title": title, "f_asset_tag": "LT-1", "f_reason": "Slow"}


def file_by_web(client: Any, world: Any, title: str) -> Any:
    return client.post(reverse("requests_app:service_detail", args=[world.laptop.pk]), laptop_form(title))


def test_filing_beyond_the_limit_is_refused_with_retry_after_and_keeps_what_was_typed(world, client_for, settings):
    settings.RATE_LIMIT_FILING = "2/hour"
    client = client_for(world.requester)
    first, second = file_by_web(client, world, "One"), file_by_web(client, world, "Two")
    third = file_by_web(client, world, "Three, typed with care")

    assert (first.status_code, second.status_code) == (302, 302)
    assert third.status_code == 429
    assert third["Retry-After"] == "3601"
    page = third.content.decode()
    assert "please wait 3601 seconds" in page
    assert 'value="Three, typed with care"' in page
    assert ServiceRequest.objects.count() == 2


def test_the_limit_counts_each_person_alone(world, client_for, settings):
    settings.RATE_LIMIT_FILING = "1/hour"
    file_by_web(client_for(world.requester), world, "Mine")
    other = file_by_web(client_for(world.colleague), world, "Theirs")

    assert other.status_code == 302


def test_filing_works_again_in_the_next_window(world, client_for, settings):
    settings.RATE_LIMIT_FILING = "1/hour"
    client = client_for(world.requester)
    file_by_web(client, world, "First")
    refused = file_by_web(client, world, "Second")
    with time_machine.travel(START.replace(hour=11), tick=False):
        later = file_by_web(client, world, "Second, an hour later")

    assert refused.status_code == 429
    assert later.status_code == 302


def api_client(user: Any) -> APIClient:
    _, raw = services.api_token_create(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_api_calls_beyond_the_limit_get_429_json_with_retry_after(world, settings):
    settings.RATE_LIMIT_API = "3/minute"
    client = api_client(world.requester)
    answers = [client.get(reverse("api:me")) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused["Retry-After"] == "61"
    assert refused.json()["errors"] == {}
    assert "throttled" in refused.json()["detail"].lower()


def test_filing_through_the_api_counts_against_the_filing_limit(world, settings):
    settings.RATE_LIMIT_FILING = "1/hour"
    client = api_client(world.requester)
    body = {"service": world.certificate.pk, "title": "Certificate", "values": {"purpose": "Bank"}}
    first = client.post(reverse("api:requests"), body, format="json")
    second = client.post(reverse("api:requests"), body, format="json")
    reading = client.get(reverse("api:requests"))

    assert (first.status_code, second.status_code, reading.status_code) == (201, 429, 200)
    assert ServiceRequest.objects.count() == 1


def test_a_filing_refused_by_the_api_limit_does_not_use_up_a_filing(world, settings):
    settings.RATE_LIMIT_API = "1/minute"
    settings.RATE_LIMIT_FILING = "2/hour"
    client = api_client(world.requester)
    body = {"service": world.certificate.pk, "title": "Certificate", "values": {"purpose": "Bank"}}
    start = datetime(2027, 3, 1, 9, 0, 5, tzinfo=UTC)

    with time_machine.travel(start, tick=False):
        first = client.post(reverse("api:requests"), body, format="json")
        over_the_api_limit = client.post(reverse("api:requests"), body, format="json")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        next_minute = client.post(reverse("api:requests"), body, format="json")

    assert (first.status_code, over_the_api_limit.status_code, next_minute.status_code) == (201, 429, 201)
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize("text", ["0/hour", "0/60"])
def test_a_count_of_zero_switches_the_limit_off(text):
    limit = throttle.parse_limit(text)

    assert all(throttle.hit("x", 1, limit).allowed for _ in range(100))


@pytest.mark.parametrize("text", ["many", "5", "5/fortnight", "-1/hour", "5/0"])
def test_a_malformed_limit_is_refused_at_start(text):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        throttle.parse_limit(text)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="counts in the real Redis cache when REDIS_URL is set")
def test_counts_are_shared_through_redis_between_processes(settings):
    """Two cache clients stand for two web processes: the limit holds across them."""
    location = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1"
    prefix = f"test-{uuid.uuid4()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        },
        "other": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location, "KEY_PREFIX": prefix},
    }
    limit = throttle.Limit(2, 60)

    first = throttle.hit("file", 7, limit, now=1_000_000.0)
    caches["other"].incr(f"throttle:file:7:{int(1_000_000.0 // 60)}")  # the other process's call
    third = throttle.hit("file", 7, limit, now=1_000_000.0)

    assert first.allowed is True
    assert third.allowed is False


def test_with_the_counting_store_down_calls_go_through_and_the_outage_is_logged(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/1",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }

    verdict = throttle.hit("file", 7, throttle.Limit(1, 60))

    assert verdict.allowed is True
    assert "Rate limit store unreachable" in caplog.text


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="counts in the real Redis cache when REDIS_URL is set")
def test_both_limits_of_a_filing_are_counted_together_in_redis_with_an_expiry(settings):
    location = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location},
    }
    user_id, now = uuid.uuid4().int % 10**9, 1_000_000.0
    calls = [
        throttle.Call("api", user_id, throttle.Limit(5, 60)),
        throttle.Call("file", user_id, throttle.Limit(1, 3600)),
    ]

    first = throttle.hits(calls, now=now)
    second = throttle.hits(calls, now=now + 1)

    cache = caches["default"]
    assert cache.get(f"throttle:api:{user_id}:{int(now // 60)}") == 2
    assert cache.get(f"throttle:file:{user_id}:{int(now // 3600)}") == 2
    client = cache._cache.get_client()
    assert 0 < client.ttl(cache.make_key(f"throttle:file:{user_id}:{int(now // 3600)}")) <= 3601
    assert first.allowed is True
    assert second.allowed is False and second.retry_after == int((int(now // 3600) + 1) * 3600 - now - 1) + 1


# --- replies and internal notes -----------------------------------------------------------------------------


def reply_by_web(client: Any, sr: ServiceRequest, body: str, **extra: str) -> Any:
    return client.post(reverse("requests_app:request_reply", args=[sr.reference]), {"body": body, **extra})


def laptop_request(world: Any) -> ServiceRequest:
    return factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")


def test_replies_beyond_the_limit_are_refused_with_retry_after_and_keep_what_was_typed(world, client_for, settings):
    settings.RATE_LIMIT_REPLY = "2/600"
    sr = laptop_request(world)
    client = client_for(world.requester)
    first, second = reply_by_web(client, sr, "One"), reply_by_web(client, sr, "Two")
    third = reply_by_web(client, sr, "Three, typed with care")

    assert (first.status_code, second.status_code) == (302, 302)
    assert third.status_code == 429
    assert third["Retry-After"] == "601"
    page = third.content.decode()
    assert "please wait 601 seconds" in page
    assert "Three, typed with care</textarea>" in page
    assert sr.comments.count() == 2


def test_internal_notes_count_against_the_same_limit_as_replies(world, client_for, settings):
    settings.RATE_LIMIT_REPLY = "1/600"
    sr = laptop_request(world)
    client = client_for(world.agent)
    reply = reply_by_web(client, sr, "We are on it.")
    note = reply_by_web(client, sr, "Internal: ordered a new screen", internal="on")

    assert (reply.status_code, note.status_code) == (302, 429)
    assert "Internal: ordered a new screen</textarea>" in note.content.decode()
    assert sr.comments.count() == 1


def test_the_reply_limit_counts_each_person_alone(world, client_for, settings):
    settings.RATE_LIMIT_REPLY = "1/600"
    sr = laptop_request(world)
    reply_by_web(client_for(world.requester), sr, "Mine")

    theirs = reply_by_web(client_for(world.agent), sr, "Theirs")

    assert theirs.status_code == 302


def test_api_replies_beyond_the_limit_get_429_json_with_retry_after(world, settings):
    settings.RATE_LIMIT_REPLY = "1/600"
    sr = laptop_request(world)
    client = api_client(world.requester)
    url = reverse("api:request_comments", kwargs={"reference": sr.reference})
    first = client.post(url, {"body": "One"}, format="json")
    second = client.post(url, {"body": "Two"}, format="json")
    reading = client.get(reverse("api:request", kwargs={"reference": sr.reference}))

    assert (first.status_code, second.status_code, reading.status_code) == (201, 429, 200)
    assert second["Retry-After"] == "601"
    assert second.json()["errors"] == {}
    assert sr.comments.count() == 1
