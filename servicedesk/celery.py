"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from servicedesk.logs import connect_celery  # noqa: E402 - after the app exists

connect_celery(app)

logger = logging.getLogger(__name__)


@beat_init.connect
def sweep_when_beat_starts(sender: Any = None, **kwargs: Any) -> None:
    """Send one SLA sweep as beat starts: its schedule first runs a period later, so a new deployment (or
    beat back after an outage) would wait that long for its first sweep, and /healthz would answer 503 "no
    SLA sweep has run yet" meanwhile. A sweep more is harmless: it takes only what is due."""
    from django.conf import settings

    try:
        app.send_task("requests_app.sla_sweep", expires=settings.SLA_SWEEP_SECONDS)
    except Exception:  # noqa: BLE001 - the broker is down: the schedule sends the next one
        logger.warning("Could not send the SLA sweep at beat's start; the schedule sends the next one")
