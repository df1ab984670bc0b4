"""``/healthz`` for load balancers: is this instance able to serve?

Three checks, each with a short timeout so the endpoint answers within a few seconds whatever is down:
the database answers a query; the broker accepts a connection; Celery beat's SLA sweep finished within
the last three periods (beat or every worker being down shows here, not in a missed warning a day later).
200 with ``{"status": "ok", "checks": {...}}`` when all pass, 503 with the failing checks otherwise.
No sign-in: a load balancer has none, and the body says nothing a visitor could use.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import SWEEP_HEARTBEAT, Heartbeat

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means "down"
        return False, f"database unreachable: {exc.__class__.__name__}"
    return True, "ok"


def check_broker() -> tuple[bool, str]:
    """The broker of the Celery app this process runs (``servicedesk.celery`` makes it the current one)."""
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "down"
        return False, f"broker unreachable: {exc.__class__.__name__}"
    return True, "ok"


def check_beat() -> tuple[bool, str]:
    limit = timedelta(seconds=3 * settings.SLA_SWEEP_SECONDS)
    try:
        beat = Heartbeat.objects.filter(name=SWEEP_HEARTBEAT).first()
    except Exception as exc:  # noqa: BLE001 - the database check reports the cause
        return False, f"cannot read the last sweep: {exc.__class__.__name__}"
    if beat is None:
        return False, "no SLA sweep has run yet"
    age = timezone.now() - beat.at
    if age > limit:
        return False, f"last SLA sweep {int(age.total_seconds())} s ago (limit {int(limit.total_seconds())} s)"
    return True, f"last SLA sweep {int(age.total_seconds())} s ago"


CHECKS = {"database": check_database, "broker": check_broker, "beat": check_beat}


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, Any] = {}
    healthy = True
    for name, check in CHECKS.items():
        ok, detail = check()
        results[name] = {"ok": ok, "detail": detail}
        healthy &= ok
    if not healthy:
        logger.warning("Health check failed: %s", {k: v["detail"] for k, v in results.items() if not v["ok"]})
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": results}, status=200 if healthy else 503)
