"""The deliveries the benchmark's filings enqueue, and their removal afterwards.

Filing a request enqueues the delivery of its "new request" notification after commit (a Celery
message). No worker consumes the bench's messages, so the bench takes back exactly the ones it
caused, by notification id, instead of leaving them for a worker that serves another database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DELIVERY_TASK = "requests_app.deliver_notification"


def broker_description() -> str:
    from django.conf import settings

    url = str(settings.CELERY_BROKER_URL)
    if url.startswith("filesystem"):
        return f"kombu's filesystem broker in {settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']}"
    return url


def redis_answers(url: str) -> bool:
    """True if a Redis server answers PING at ``url`` within a second."""
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _notification_id(message: Any) -> int | None:
    """The notification a Celery message delivers, or None for any other message."""
    try:
        data = json.loads(message)
        headers = data["headers"]
        if headers.get("task") != DELIVERY_TASK:
            return None
        argsrepr = str(headers.get("argsrepr", "")).strip("(),[] ")
        return int(argsrepr)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def purge_deliveries(notification_ids: Iterable[int]) -> int:
    """Remove the queued deliveries of these notifications from the broker; how many were removed."""
    from django.conf import settings

    wanted = set(notification_ids)
    if not wanted:
        return 0
    url = str(settings.CELERY_BROKER_URL)
    queue = "celery"  # Celery's default queue: the app routes nothing elsewhere
    if url.startswith("filesystem"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        removed = 0
        for path in folder.glob(f"*.{queue}.msg"):
            try:
                if _notification_id(path.read_text()) in wanted:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
    if not url.startswith(("redis://", "rediss://")):
        return 0
    import redis

    removed = 0
    with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
        for message in client.lrange(queue, 0, -1):
            if _notification_id(message) in wanted:
                removed += int(client.lrem(queue, 1, message))
    return removed
