"""The queue page keeps its department's configuration (services, calendars, policies, the departments
of the filters) in the process under the catalog's configuration stamp, and follows every change an
admin makes to it on the next page; its rows link and show times as the rest of the site does."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from departments import config_version
from departments.models import BusinessCalendar, WorkingInterval
from departments.services import calendar_compile
from requests_app import services
from requests_app.models.requests import request_url

from .. import factories

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture(autouse=True)
def _nothing_kept() -> Any:
    config_version._KEPT.clear()
    yield
    config_version._KEPT.clear()


@pytest.fixture
def office(world: Any, settings: Any) -> BusinessCalendar:
    settings.TIME_ZONE = "Europe/Berlin"
    calendar = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=day, start=time(9), end=time(17))
    calendar_compile(calendar=calendar)
    world.it.calendar = calendar
    world.it.save(update_fields=["calendar"])
    return calendar


def queue_page(client: Any, world: Any, when: datetime = MONDAY_9) -> tuple[str, list[str]]:
    with time_machine.travel(when, tick=False), CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("requests_app:queue", args=[world.it.slug]))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def reads(sqls: list[str], table: str) -> int:
    return sum(1 for sql in sqls if sql.startswith("SELECT") and f'FROM "{table}"' in sql)


def test_a_second_queue_page_reads_neither_the_services_nor_the_departments(world, client_for):
    client = client_for(world.lead)
    _, first = queue_page(client, world)
    _, second = queue_page(client, world)

    assert reads(first, "departments_service") == 1
    assert reads(first, "departments_department") == 1
    assert reads(second, "departments_service") == 0
    assert reads(second, "departments_department") == 0
    assert len(second) == len(first) - 2


def test_a_service_added_meanwhile_is_in_the_next_pages_filter(world, client_for):
    client = client_for(world.lead)
    queue_page(client, world)
    factories.make_service(world.it, "Docking station")

    page, _ = queue_page(client, world)

    assert ">Docking station</option>" in page


def test_a_department_renamed_meanwhile_shows_its_new_name_in_the_filter(world, client_for):
    client = client_for(world.lead)
    queue_page(client, world)
    world.hr.name = "People"
    world.hr.save(update_fields=["name"])

    page, _ = queue_page(client, world)

    assert ">People</option>" in page


def test_working_hours_changed_meanwhile_change_the_time_left_on_the_next_page(world, office, client_for):
    with time_machine.travel(MONDAY_9, tick=False):
        services.request_file(service=world.laptop, requester=world.requester, title="Dock", values={})
    client = client_for(world.lead)
    ten = MONDAY_9.replace(hour=10)
    before, _ = queue_page(client, world, ten)
    # The first response is due at 13:00 on 09-17; an update() sends no signal, compiling bumps the stamp.
    office.intervals.update(start=time(9), end=time(11))
    calendar_compile(calendar=office)

    after, _ = queue_page(client, world, ten)

    assert "3h left" in before
    assert "3h left" not in after
    assert "1h left" in after  # the due time stays; only today's 10:00-11:00 is left of the working day


def test_rows_link_to_the_request_and_its_actions_as_reverse_does(world, client_for):
    with time_machine.travel(MONDAY_9, tick=False):
        sr = services.request_file(service=world.laptop, requester=world.requester, title="Dock", values={})
    page, _ = queue_page(client_for(world.lead), world, MONDAY_9.replace(hour=11))

    for name in ("request_detail", "request_claim", "request_assign"):
        url = reverse(f"requests_app:{name}", kwargs={"reference": sr.reference})
        assert request_url(sr.reference, name) == url
        if name != "request_assign":
            assert f'"{url}"' in page
    # The lead's assign form is in the page once; queue.js copies it into each active row's slot.
    assign = reverse("requests_app:request_assign", kwargs={"reference": "ASSIGN-REFERENCE"})
    assert page.count(f'action="{assign}"') == 1
    assert f'class="row-assign-slot" data-reference="{sr.reference}"' in page
    assert sr.get_absolute_url() == reverse("requests_app:request_detail", kwargs={"reference": sr.reference})


def test_request_urls_follow_the_script_prefix(world):
    set_script_prefix("/desk/")
    try:
        assert request_url("IT-7", "request_claim") == "/desk/requests/IT-7/claim/"
        assert request_url("IT-7") == reverse("requests_app:request_detail", kwargs={"reference": "IT-7"})
    finally:
        set_script_prefix("/")
    assert request_url("IT-7") == "/requests/IT-7/"


def test_a_row_shows_its_age_and_its_local_filing_time(world, office, client_for):
    with time_machine.travel(MONDAY_9, tick=False):
        services.request_file(service=world.laptop, requester=world.requester, title="Dock", values={})

    page, _ = queue_page(client_for(world.lead), world, MONDAY_9.replace(hour=11, minute=30))

    assert '<time datetime="2026-11-23T09:00:00+01:00" title="2026-11-23 09:00">2h 30m</time>' in page


def test_a_service_moved_to_another_department_leaves_its_requests_readable_in_the_old_queue(world, client_for):
    with time_machine.travel(MONDAY_9, tick=False):
        sr = services.request_file(service=world.laptop, requester=world.requester, title="Dock", values={})
    client = client_for(world.lead)
    queue_page(client, world)
    world.laptop.department = world.hr
    world.laptop.save(update_fields=["department"])

    page, _ = queue_page(client, world, MONDAY_9.replace(hour=10))

    assert sr.reference in page
    assert ">On track</span>" in page
