"""Filing through the API keeps each service's configuration in the process while the catalog's
configuration stamp (``departments.config_version``) holds, and never files against a configuration
that an admin has since changed: a new target, a deactivated service, a new field, a new calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments import config_version
from departments.models import FieldType, Priority, SLATarget
from departments.services import calendar_compile
from requests_app.models import ServiceRequest

from .. import factories

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = datetime(2027, 3, 1, 9, 0, tzinfo=BERLIN)
PURPOSE = {"purpose": "Bank"}


@pytest.fixture(autouse=True)
def _nothing_kept() -> Any:
    config_version._KEPT.clear()
    yield
    config_version._KEPT.clear()


def file(api: Any, user: Any, service: Any, values: dict[str, Any] = PURPOSE, **extra: Any) -> Any:
    payload = {"service": service.pk, "title": "Certificate", "values": values, **extra}
    with time_machine.travel(MONDAY_9, tick=False):
        return api(user, token=True).post("/api/v1/requests/", payload, format="json")


def queries_of_filing(api: Any, user: Any, service: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = file(api, user, service)
    assert response.status_code == 201, response.content
    return [q["sql"] for q in captured.captured_queries]


def test_a_second_filing_reads_neither_the_service_nor_its_fields_nor_its_targets(world, api):
    first = queries_of_filing(api, world.requester, world.certificate)
    second = queries_of_filing(api, world.requester, world.certificate)

    def reads(sqls: list[str], table: str) -> int:
        return sum(1 for sql in sqls if sql.startswith("SELECT") and f'FROM "{table}"' in sql)

    for table in ("departments_service", "departments_servicefield", "departments_slatarget"):
        assert reads(first, table) == 1, table
        assert reads(second, table) == 0, table
    assert len(second) == len(first) - 3


def test_a_changed_target_applies_to_the_next_filing(world, api):
    file(api, world.requester, world.certificate)
    target = SLATarget.objects.get(policy=world.hr.default_sla_policy, priority=Priority.NORMAL)
    target.resolution_minutes = 60
    target.save()

    body = file(api, world.requester, world.certificate).json()

    sr = ServiceRequest.objects.get(reference=body["reference"])
    assert sr.resolution_target_minutes == 60


def test_a_service_deactivated_meanwhile_is_refused(world, api):
    assert file(api, world.requester, world.certificate).status_code == 201
    world.certificate.is_active = False
    world.certificate.save(update_fields=["is_active"])

    response = file(api, world.requester, world.certificate)

    assert response.status_code == 400
    assert "service" in response.content.decode()


def test_a_field_added_meanwhile_is_required_at_once(world, api):
    assert file(api, world.requester, world.certificate).status_code == 201
    factories.add_field(world.certificate, "employer", FieldType.SHORT_TEXT, required=True)

    response = file(api, world.requester, world.certificate)

    assert response.status_code == 400
    assert "employer" in response.content.decode()


def test_a_calendar_recompiled_meanwhile_applies_to_the_next_filing(world, api):
    calendar = factories.make_calendar("Berlin", hours=(9, 17))
    world.certificate.calendar = calendar
    world.certificate.save(update_fields=["calendar"])
    before = ServiceRequest.objects.get(reference=file(api, world.requester, world.certificate).json()["reference"])
    calendar.intervals.update(start="09:00", end="10:00")  # an update(): no signal; compiling bumps the stamp
    calendar_compile(calendar=calendar)

    after = ServiceRequest.objects.get(reference=file(api, world.requester, world.certificate).json()["reference"])

    # 240 business minutes of first response: Monday 13:00 on 09-17, Thursday 10:00 on 09-10.
    assert before.first_response_due_at == datetime(2027, 3, 1, 13, 0, tzinfo=BERLIN)
    assert after.first_response_due_at == datetime(2027, 3, 4, 10, 0, tzinfo=BERLIN)


def test_a_kept_configuration_expires_even_if_a_change_missed_the_stamp(world, api, monkeypatch):
    file(api, world.requester, world.certificate)
    SLATarget.objects.filter(policy=world.hr.default_sla_policy).update(resolution_minutes=90)  # no signal
    monkeypatch.setattr(config_version, "KEEP_SECONDS", 0.0)

    body = file(api, world.requester, world.certificate).json()

    assert ServiceRequest.objects.get(reference=body["reference"]).resolution_target_minutes == 90


def test_with_the_stamp_unreadable_every_filing_reads_fresh(world, api, monkeypatch):
    monkeypatch.setattr(config_version, "current", lambda: None)
    file(api, world.requester, world.certificate)
    SLATarget.objects.filter(policy=world.hr.default_sla_policy).update(resolution_minutes=45)  # no signal

    body = file(api, world.requester, world.certificate).json()

    assert ServiceRequest.objects.get(reference=body["reference"]).resolution_target_minutes == 45
    assert config_version._KEPT == {}


def test_the_stamp_changes_with_every_watched_model_and_once_more_on_commit(world, django_capture_on_commit_callbacks):
    before = config_version.current()
    with django_capture_on_commit_callbacks() as on_commit:
        factories.make_service(world.it, "Monitor")
        after_service = config_version.current()
        factories.make_policy("Fast")
        before_commit = config_version.current()

    assert len({before, after_service, before_commit}) == 3
    assert on_commit  # replaced again when the transaction commits
    for callback in on_commit:
        callback()
    assert config_version.current() != before_commit
