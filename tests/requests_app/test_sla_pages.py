"""What pages show of the time commitments: badges, due times, promises."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from departments.models import BusinessCalendar, WorkingInterval
from requests_app import services
from requests_app.models import FollowUpPromise, RequestEvent, Status

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def office(world, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # pages show times in the site's zone
    calendar = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=day, start=time(9), end=time(17))
    world.it.calendar = calendar
    world.it.save(update_fields=["calendar"])
    return calendar


def file_at(world, when: datetime, title: str = "Help", priority: str | None = None):
    with time_machine.travel(when, tick=False):
        return services.request_file(
            service=world.laptop, requester=world.requester, title=title, values={}, priority=priority
        )


def queue_titles(page: str) -> list[str]:
    return re.findall(r'<td class="ref"><a href="[^"]+">[^<]+</a></td>\s*<td class="request-cell">([^<]+)<', page)


def test_the_queue_is_sorted_by_the_nearest_due_time_by_default(world, office, client_for):
    file_at(world, MONDAY_9, "Normal, filed first")  # first response due 13:00
    file_at(world, MONDAY_9.replace(hour=10), "Critical, filed later", priority="critical")  # due 10:30
    file_at(world, MONDAY_9.replace(hour=11), "Low, filed last", priority="low")  # due 17:00

    with time_machine.travel(MONDAY_9.replace(hour=11, minute=5), tick=False):
        page = client_for(world.agent).get(reverse("requests_app:queue", args=["it"])).content.decode()

    assert queue_titles(page) == ["Critical, filed later", "Normal, filed first", "Low, filed last"]


@pytest.mark.parametrize(
    ("minutes_after_filing", "badge", "detail"),
    [
        (60, "On track", "3h left"),
        (200, "At risk", "40m left"),
        (300, "Breached", "1h overdue"),
    ],
)
def test_queue_rows_carry_a_badge_and_the_business_time_left(
    world, office, client_for, minutes_after_filing, badge, detail
):
    file_at(world, MONDAY_9)
    now = MONDAY_9.replace(hour=9 + minutes_after_filing // 60, minute=minutes_after_filing % 60)
    with time_machine.travel(now, tick=False):
        page = client_for(world.agent).get(reverse("requests_app:queue", args=["it"])).content.decode()

    assert f">{badge}</span>" in page
    assert detail in page


def test_a_request_waiting_on_its_requester_shows_as_paused(world, office, client_for):
    sr = file_at(world, MONDAY_9)
    with time_machine.travel(MONDAY_9.replace(hour=10), tick=False):
        services.request_change_status(service_request=sr, to_status=Status.WAITING, by=world.agent)
        page = client_for(world.agent).get(reverse("requests_app:queue", args=["it"])).content.decode()

    assert ">Paused</span>" in page


def test_the_request_page_shows_both_clocks_with_their_due_times(world, office, client_for):
    sr = file_at(world, MONDAY_9)

    with time_machine.travel(MONDAY_9.replace(hour=10), tick=False):
        page = client_for(world.requester).get(sr.get_absolute_url()).content.decode()

    first = page.split('id="clock-first_response"')[1].split("</dd>")[0]
    resolution = page.split('id="clock-resolution"')[1].split("</dd>")[0]
    assert "Mon 23 Nov 13:00" in first
    assert "Tue 24 Nov 17:00" in resolution  # 16 business hours: Monday 9-17 and Tuesday 9-17


def test_my_requests_tells_the_requester_when_to_expect_an_answer(world, office, client_for):
    file_at(world, MONDAY_9)

    with time_machine.travel(MONDAY_9.replace(hour=10), tick=False):
        page = client_for(world.requester).get(reverse("requests_app:my_requests")).content.decode()

    assert "An answer by Mon 23 Nov 13:00" in page


def test_an_agent_promises_an_update_and_the_requester_sees_it(world, office, client_for, submit):
    sr = file_at(world, MONDAY_9)

    with time_machine.travel(MONDAY_9.replace(hour=10), tick=False):
        response = submit(
            client_for(world.agent),
            reverse("requests_app:request_promise", args=[sr.reference]),
            {"due_at": "2026-11-26T15:00"},
        )
        assert response.status_code == 302
        page = client_for(world.requester).get(sr.get_absolute_url()).content.decode()

    promise = FollowUpPromise.objects.get(request=sr)
    assert promise.agent == world.agent
    assert 'id="promise"' in page
    assert "Thu 26 Nov 15:00" in page.split('id="promise"')[1]
    assert RequestEvent.objects.filter(request=sr, kind="promise_made").exists()


def test_a_promise_in_the_past_is_refused_at_the_field_and_nothing_is_saved(world, office, client_for, submit):
    sr = file_at(world, MONDAY_9)

    with time_machine.travel(MONDAY_9.replace(hour=10), tick=False):
        response = submit(
            client_for(world.agent),
            reverse("requests_app:request_promise", args=[sr.reference]),
            {"due_at": "2026-11-20T15:00"},
        )

    assert response.status_code == 400
    assert "A promise must be for a time in the future." in response.content.decode()
    assert not FollowUpPromise.objects.exists()


def test_requesters_and_other_departments_cannot_promise(world, office, client_for):
    sr = file_at(world, MONDAY_9)
    url = reverse("requests_app:request_promise", args=[sr.reference])

    assert client_for(world.requester).post(url, {"due_at": "2026-11-26T15:00"}).status_code == 403
    assert client_for(world.other_agent).post(url, {"due_at": "2026-11-26T15:00"}).status_code == 404
    assert not FollowUpPromise.objects.exists()


def test_resolving_keeps_an_open_promise(world, office):
    sr = file_at(world, MONDAY_9)
    with time_machine.travel(MONDAY_9.replace(hour=10), tick=False):
        services.promise_make(service_request=sr, by=world.agent, due_at=datetime(2026, 11, 26, 15, 0, tzinfo=BERLIN))
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Replaced the laptop.")

    promise = FollowUpPromise.objects.get(request=sr)
    assert promise.kept_at is not None
