"""``/healthz`` for load balancers: 200 when the database, the broker and beat's sweep are fine, else 503
with a JSON body naming what failed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from requests_app.models import SWEEP_HEARTBEAT, Heartbeat
from requests_app.services.sweep import heartbeat_record
from servicedesk.celery import app as celery_app

pytestmark = pytest.mark.django_db


def health() -> Any:
    return Client().get("/healthz")


@pytest.fixture
def recent_sweep(settings: Any) -> None:
    heartbeat_record(name=SWEEP_HEARTBEAT)


def test_all_fine_answers_200_without_signing_in(recent_sweep):
    response = health()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "beat": True,
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_database_that_does_not_answer_gives_503_naming_the_database(recent_sweep):
    with mock.patch("requests_app.health.connection.cursor", side_effect=OperationalError("gone")):
        response = health()

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is False
    assert "database unreachable" in checks["database"]["detail"]


def test_an_unreachable_broker_gives_503_naming_the_broker(recent_sweep):
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = health()
    finally:
        celery_app.conf.broker_url = saved

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_a_sweep_older_than_three_periods_gives_503_naming_beat(settings):
    settings.SLA_SWEEP_SECONDS = 60
    Heartbeat.objects.create(name=SWEEP_HEARTBEAT, at=timezone.now() - timedelta(seconds=181))

    response = health()

    assert response.status_code == 503
    beat = response.json()["checks"]["beat"]
    assert beat["ok"] is False
    assert "limit 180 s" in beat["detail"]


def test_a_sweep_within_three_periods_is_fine(settings):
    settings.SLA_SWEEP_SECONDS = 60
    Heartbeat.objects.create(name=SWEEP_HEARTBEAT, at=timezone.now() - timedelta(seconds=170))

    assert health().status_code == 200


def test_no_sweep_ever_gives_503():
    response = health()

    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["detail"] == "no SLA sweep has run yet"


def test_the_sweep_task_records_its_heartbeat():
    from requests_app.tasks import sla_sweep

    sla_sweep.apply()

    assert timezone.now() - Heartbeat.objects.get(name=SWEEP_HEARTBEAT).at < timedelta(seconds=30)


def test_beat_sends_a_sweep_as_it_starts(settings):
    """Beat's schedule would first run the sweep a period after start; it is sent at once too (the run
    command's integration test shows /healthz turning healthy within seconds of a first start)."""
    from servicedesk.celery import sweep_when_beat_starts

    with mock.patch.object(celery_app, "send_task") as send:
        sweep_when_beat_starts(sender=None)

    send.assert_called_once_with("requests_app.sla_sweep", expires=settings.SLA_SWEEP_SECONDS)


def test_beat_starts_even_when_the_broker_refuses_that_first_sweep(caplog):
    from servicedesk.celery import sweep_when_beat_starts

    with mock.patch.object(celery_app, "send_task", side_effect=ConnectionError("refused")):
        sweep_when_beat_starts(sender=None)

    assert "Could not send the SLA sweep at beat's start" in caplog.text
