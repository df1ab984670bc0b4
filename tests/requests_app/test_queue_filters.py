"""The department queue: every filter, every sort, keyset pages, saved views and their live counts.

The clock is frozen (time_machine, ``tick=False``) wherever an SLA state or a date matters. IT works
Monday to Friday 09:00-17:00 UTC; under the "Standard" policy a normal request owes a first response
in 4 business hours (at risk at 75%, after 3), a critical one in 30 minutes.
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from departments.models import Profile, Role
from requests_app import services
from requests_app.models import SavedView, ServiceRequest, Status
from requests_app.selectors import queue as queue_selectors

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(day: int = 0, hour: int = 9, minute: int = 0) -> datetime:
    """``day`` days after Monday 2 March 2026 at ``hour``:``minute`` UTC."""
    return MONDAY_9.replace(hour=hour, minute=minute) + timedelta(days=day)


@pytest.fixture
def office(world: Any) -> Any:
    calendar = factories.make_calendar("IT office", time_zone="UTC", hours=(9, 17))
    world.it.calendar = calendar
    world.it.save(update_fields=["calendar"])
    return calendar


def file_at(when: datetime, world: Any, title: str, *, priority: str | None = None, **extra: Any) -> ServiceRequest:
    service = extra.pop("service", world.laptop)
    requester = extra.pop("requester", world.requester)
    with time_machine.travel(when, tick=False):
        return services.request_file(service=service, requester=requester, title=title, values=extra, priority=priority)


ROW_RE = re.compile(r'<td class="ref"><a href="[^"]+">([^<]+)</a></td>\s*<td class="request-cell">([^<]+)')


def queue_page(client: Any, department: Any, expect: int = 200, **params: Any) -> str:
    """The queue page's HTML; a filter with an error answers 400 (``expect``) with the rest of the page."""
    response = client.get(reverse("requests_app:queue", args=[department.slug]), params)
    assert response.status_code == expect
    return response.content.decode()


def titles(page: str) -> list[str]:
    """The titles of the queue's rows, in the order shown."""
    return [html.unescape(title).strip() for _, title in ROW_RE.findall(page)]


def shown(client: Any, department: Any, **params: Any) -> list[str]:
    return titles(queue_page(client, department, **params))


# --- status and priority ---------------------------------------------------------------------------


@pytest.fixture
def one_of_each_status(world: Any) -> dict[str, ServiceRequest]:
    requests = {status: factories.make_request(world.laptop, world.requester, title=status) for status in Status.values}
    lead = world.lead
    services.request_claim(service_request=requests["open"], by=world.agent)
    services.request_change_status(service_request=requests["waiting"], to_status=Status.WAITING, by=lead)
    services.request_resolve(service_request=requests["resolved"], by=lead, resolution_note="Done")
    services.request_resolve(service_request=requests["closed"], by=lead, resolution_note="Done")
    services.request_change_status(service_request=requests["closed"], to_status=Status.CLOSED, by=lead)
    services.request_cancel(service_request=requests["cancelled"], by=world.requester)
    return requests


def test_the_queue_shows_only_active_requests_by_default(world, client_for, one_of_each_status):
    assert sorted(shown(client_for(world.agent), world.it)) == ["new", "open", "waiting"]


@pytest.mark.parametrize("status", Status.values)
def test_the_status_filter_shows_only_requests_in_that_status(world, client_for, one_of_each_status, status):
    assert shown(client_for(world.agent), world.it, status=status) == [status]


def test_the_status_filter_all_shows_every_status(world, client_for, one_of_each_status):
    assert sorted(shown(client_for(world.agent), world.it, status="all")) == sorted(Status.values)


def test_the_queue_shows_only_its_own_departments_requests(world, client_for):
    factories.make_request(world.laptop, world.requester, title="IT laptop")
    factories.make_request(world.certificate, world.requester, title="HR certificate", purpose="Bank")

    assert shown(client_for(world.agent), world.it) == ["IT laptop"]
    assert shown(client_for(world.other_agent), world.hr) == ["HR certificate"]


@pytest.mark.parametrize("priority", ["low", "normal", "high", "critical"])
def test_the_priority_filter_shows_only_requests_of_that_priority(world, client_for, priority):
    for each in ("low", "normal", "high", "critical"):
        services.request_file(service=world.laptop, requester=world.requester, title=each, values={}, priority=each)

    assert shown(client_for(world.agent), world.it, priority=priority) == [priority]


# --- SLA states ------------------------------------------------------------------------------------


@pytest.fixture
def sla_mix(world: Any, office: Any) -> dict[str, ServiceRequest]:
    """Seen on Monday at 12:30, one request per SLA state (and one waiting with a breached clock)."""
    mix = {
        # Filed 12:00, first response due 16:00, at risk from 15:00.
        "on track": file_at(at(hour=12), world, "on track"),
        # Filed 09:00, first response due 13:00, at risk from 12:00.
        "at risk": file_at(at(), world, "at risk"),
        # Critical, filed 09:00: first response was due 09:30.
        "breached": file_at(at(), world, "breached", priority="critical"),
        "paused": file_at(at(hour=12), world, "paused"),
        "waiting, breached": file_at(at(), world, "waiting, breached", priority="critical"),
        "resolved": file_at(at(), world, "resolved", priority="critical"),
    }
    with time_machine.travel(at(hour=12, minute=10), tick=False):
        for key in ("paused", "waiting, breached"):
            services.request_change_status(service_request=mix[key], to_status=Status.WAITING, by=world.agent)
        services.request_resolve(service_request=mix["resolved"], by=world.agent, resolution_note="Done")
    return mix


@pytest.mark.parametrize(
    ("state", "expected", "badge"),
    [
        ("on_track", ["on track"], "On track"),
        ("at_risk", ["at risk"], "At risk"),
        # Breached beats paused: waiting on the requester does not stop an overdue first response.
        ("breached", ["breached", "waiting, breached"], "Breached"),
        ("paused", ["paused"], "Paused"),
    ],
)
def test_the_sla_filter_shows_requests_in_that_state_with_the_matching_badge(
    world, client_for, sla_mix, state, expected, badge
):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        page = queue_page(client_for(world.agent), world.it, sla=state, status="all")

    assert sorted(titles(page)) == sorted(expected)
    assert page.count(f">{badge}</span>") == len(expected)


def test_a_request_moves_from_on_track_to_at_risk_to_breached_as_time_passes(world, client_for, office):
    file_at(at(), world, "Normal request")  # first response due 13:00, at risk from 12:00
    client = client_for(world.agent)

    def states_at(moment: datetime) -> list[str]:
        with time_machine.travel(moment, tick=False):
            return [s for s in ("on_track", "at_risk", "breached", "paused") if shown(client, world.it, sla=s)]

    assert states_at(at(hour=11, minute=59)) == ["on_track"]
    assert states_at(at(hour=12)) == ["at_risk"]
    assert states_at(at(hour=12, minute=59)) == ["at_risk"]
    assert states_at(at(hour=13)) == ["breached"]


def test_business_hours_hold_the_clock_overnight(world, client_for, office):
    file_at(at(hour=16), world, "Filed late")  # one business hour on Monday, three on Tuesday: due Tuesday 12:00
    client = client_for(world.agent)

    with time_machine.travel(at(day=1, hour=8), tick=False):  # 16 wall-clock hours later
        assert shown(client, world.it, sla="on_track") == ["Filed late"]
    with time_machine.travel(at(day=1, hour=11), tick=False):
        assert shown(client, world.it, sla="at_risk") == ["Filed late"]


# --- assignee, service, requester's department -----------------------------------------------------


@pytest.fixture
def assigned_mix(world: Any) -> None:
    factories.make_request(world.laptop, world.requester, title="nobody's")
    mine = factories.make_request(world.laptop, world.requester, title="agent's")
    services.request_claim(service_request=mine, by=world.agent)
    leads = factories.make_request(world.laptop, world.requester, title="lead's")
    services.request_claim(service_request=leads, by=world.lead)


def test_the_assignee_filter_unassigned(world, client_for, assigned_mix):
    assert shown(client_for(world.agent), world.it, assignee="unassigned") == ["nobody's"]


def test_the_assignee_filter_mine_depends_on_who_looks(world, client_for, assigned_mix):
    assert shown(client_for(world.agent), world.it, assignee="mine") == ["agent's"]
    assert shown(client_for(world.lead), world.it, assignee="mine") == ["lead's"]


def test_the_assignee_filter_by_person(world, client_for, assigned_mix):
    assert shown(client_for(world.agent), world.it, assignee=world.lead.pk) == ["lead's"]
    assert shown(client_for(world.lead), world.it, assignee=world.agent.pk) == ["agent's"]


def test_the_assignee_filter_refuses_someone_outside_the_department(world, client_for, assigned_mix):
    page = queue_page(client_for(world.agent), world.it, 400, assignee=world.other_agent.pk)

    assert 'id="id_assignee_error"' in page  # reported at the field, the filter left out
    assert sorted(titles(page)) == ["agent's", "lead's", "nobody's"]


def test_the_service_filter(world, client_for):
    software = factories.make_service(world.it, "Software install")
    factories.make_request(world.laptop, world.requester, title="laptop")
    factories.make_request(software, world.requester, title="software")

    assert shown(client_for(world.agent), world.it, service=software.pk) == ["software"]
    assert shown(client_for(world.agent), world.it, service=world.laptop.pk) == ["laptop"]


def test_the_service_filter_refuses_another_departments_service(world, client_for):
    factories.make_request(world.laptop, world.requester, title="laptop")

    page = queue_page(client_for(world.agent), world.it, 400, service=world.certificate.pk)

    assert 'id="id_service_error"' in page
    assert titles(page) == ["laptop"]


def test_the_requesters_department_filter_uses_their_home_department(world, client_for):
    finance = factories.make_department("Finance", "FIN")
    accountant = factories.make_user("accountant")
    Profile.objects.create(user=accountant, department=finance)
    recruiter = factories.make_user("recruiter")
    Profile.objects.create(user=recruiter, department=world.hr)
    factories.make_request(world.laptop, accountant, title="from finance")
    factories.make_request(world.laptop, recruiter, title="from HR")
    factories.make_request(world.laptop, world.requester, title="from someone without a profile")
    client = client_for(world.agent)

    assert shown(client, world.it, requester_department=finance.pk) == ["from finance"]
    assert shown(client, world.it, requester_department=world.hr.pk) == ["from HR"]


# --- date ranges -----------------------------------------------------------------------------------


@pytest.fixture
def filed_over_three_days(world: Any, office: Any) -> None:
    file_at(at(day=0, hour=9), world, "Monday 09:00")  # due Monday 13:00
    file_at(at(day=0, hour=16), world, "Monday 16:00")  # due Tuesday 12:00
    file_at(at(day=1, hour=10), world, "Tuesday 10:00")  # due Tuesday 14:00
    file_at(at(day=2, hour=15), world, "Wednesday 15:00")  # due Thursday 11:00


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"created_from": "2026-03-03"}, ["Tuesday 10:00", "Wednesday 15:00"]),
        ({"created_to": "2026-03-03"}, ["Monday 09:00", "Monday 16:00", "Tuesday 10:00"]),
        ({"created_from": "2026-03-03", "created_to": "2026-03-03"}, ["Tuesday 10:00"]),
        ({"created_from": "2026-03-02", "created_to": "2026-03-02"}, ["Monday 09:00", "Monday 16:00"]),
        ({"created_from": "2026-03-05"}, []),
    ],
)
def test_the_created_date_range_includes_both_ends(world, client_for, filed_over_three_days, params, expected):
    with time_machine.travel(at(day=2, hour=16), tick=False):
        assert sorted(shown(client_for(world.agent), world.it, **params)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"due_from": "2026-03-03", "due_to": "2026-03-03"}, ["Monday 16:00", "Tuesday 10:00"]),
        ({"due_to": "2026-03-02"}, ["Monday 09:00"]),
        ({"due_from": "2026-03-04"}, ["Wednesday 15:00"]),
    ],
)
def test_the_due_date_range_uses_the_nearest_due_time(world, client_for, filed_over_three_days, params, expected):
    with time_machine.travel(at(day=2, hour=16), tick=False):
        assert sorted(shown(client_for(world.agent), world.it, **params)) == expected


def test_date_filters_mean_days_in_the_sites_time_zone(world, client_for, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    file_at(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), world, "Tuesday 00:30 in Berlin")

    client = client_for(world.agent)
    assert shown(client, world.it, created_from="2026-03-03", created_to="2026-03-03") == ["Tuesday 00:30 in Berlin"]
    assert shown(client, world.it, created_to="2026-03-02") == []


def test_a_range_ending_before_it_starts_is_reported_and_its_end_left_out(world, client_for, filed_over_three_days):
    with time_machine.travel(at(day=2, hour=16), tick=False):
        page = queue_page(client_for(world.agent), world.it, 400, created_from="2026-03-04", created_to="2026-03-02")

    assert "The end of the range is before its start." in page
    assert titles(page) == ["Wednesday 15:00"]  # "from Wednesday 4 March" still applies


def test_a_malformed_date_is_reported_and_the_rest_of_the_page_still_answers(world, client_for, filed_over_three_days):
    with time_machine.travel(at(day=2, hour=16), tick=False):
        page = queue_page(client_for(world.agent), world.it, 400, due_from="next tuesday")

    assert 'id="id_due_from_error"' in page
    assert len(titles(page)) == 4


# --- text search -----------------------------------------------------------------------------------


@pytest.fixture
def searchable(world: Any) -> dict[str, ServiceRequest]:
    by_title = factories.make_request(world.laptop, world.requester, title="Screen flickers", asset_tag="LT-100")
    by_value = factories.make_request(world.laptop, world.requester, title="Broken", asset_tag="ZEBRA-4711")
    by_reply = factories.make_request(world.laptop, world.requester, title="Slow", asset_tag="LT-300")
    services.comment_add(service_request=by_reply, author=world.agent, body="Please try the docking station.")
    by_requester = factories.make_request(world.laptop, world.requester, title="Keyboard", asset_tag="LT-400")
    services.comment_add(service_request=by_requester, author=world.requester, body="It smells of coffee.")
    noted = factories.make_request(world.laptop, world.requester, title="Mouse", asset_tag="LT-500")
    services.comment_add(service_request=noted, author=world.agent, body="Probably a walrus incident.", internal=True)
    return {"title": by_title, "value": by_value, "reply": by_reply, "requester": by_requester, "note": noted}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flickers", ["Screen flickers"]),  # a word of the title
        ("SCREEN", ["Screen flickers"]),  # any case
        ("zebra-4711", ["Broken"]),  # a field value
        ("4711", ["Broken"]),  # part of a field value
        ("docking", ["Slow"]),  # the department's public reply
        ("coffee", ["Keyboard"]),  # the requester's message
        ("dock", ["Slow"]),  # the start of a word
        ("screen flick", ["Screen flickers"]),  # every word must match
        ("screen coffee", []),
        ("walrus", []),  # internal notes are never searched
    ],
)
def test_the_text_search(world, client_for, searchable, query, expected):
    assert shown(client_for(world.agent), world.it, q=query) == expected


def test_the_text_search_finds_a_request_by_its_reference(world, client_for, searchable):
    reference = searchable["value"].reference

    assert shown(client_for(world.agent), world.it, q=reference) == ["Broken"]


def test_the_text_search_finds_a_comment_added_after_filing(world, client_for, searchable):
    client = client_for(world.agent)
    assert shown(client, world.it, q="reinstalled") == []

    services.comment_add(service_request=searchable["title"], author=world.lead, body="Driver reinstalled.")

    assert shown(client, world.it, q="reinstalled") == ["Screen flickers"]


@pytest.mark.parametrize("query", ["bob@example.com", "example.com", "srv01.corp.example.org", "corp.example"])
def test_the_text_search_finds_addresses_and_host_names_typed_into_a_field(world, client_for, query):
    factories.make_request(world.laptop, world.requester, title="Mail", asset_tag="bob@example.com")
    factories.make_request(world.laptop, world.requester, title="Server", asset_tag="srv01.corp.example.org")

    expected = ["Mail"] if "example.com" in query else ["Server"]
    assert shown(client_for(world.agent), world.it, q=query) == expected


def test_the_text_search_combines_with_other_filters(world, client_for, searchable):
    services.request_claim(service_request=searchable["reply"], by=world.agent)
    services.comment_add(service_request=searchable["title"], author=world.lead, body="Check the docking station.")
    client = client_for(world.agent)

    assert sorted(shown(client, world.it, q="docking")) == ["Screen flickers", "Slow"]
    assert shown(client, world.it, q="docking", assignee="mine") == ["Slow"]


def test_a_search_of_punctuation_only_shows_everything(world, client_for, searchable):
    assert len(shown(client_for(world.agent), world.it, q="&|!:*()'")) == 5


# --- sorting ---------------------------------------------------------------------------------------


@pytest.fixture
def sortable(world: Any, office: Any) -> None:
    """Five requests whose orders differ in every sort (due times in brackets)."""
    file_at(at(hour=9), world, "A normal, Mon 09:00")  # [Mon 13:00]
    file_at(at(hour=10), world, "B low, Mon 10:00", priority="low")  # [Mon 10:00 + 8h = Tue 10:00]
    file_at(at(hour=11), world, "C critical, Mon 11:00", priority="critical")  # [Mon 11:30]
    file_at(at(hour=12), world, "D high, Mon 12:00", priority="high")  # [Mon 14:00]
    waiting = file_at(at(hour=8), world, "E normal, Mon 08:00, answered and waiting")
    with time_machine.travel(at(hour=9, minute=30), tick=False):
        # Answered, then waiting on the requester: no clock runs, so no due time.
        services.comment_add(service_request=waiting, author=world.agent, body="Which model is it?")
        services.request_change_status(service_request=waiting, to_status=Status.WAITING, by=world.agent)
    with time_machine.travel(at(hour=12, minute=20), tick=False):
        a = ServiceRequest.objects.get(title__startswith="A ")
        services.comment_add(service_request=a, author=world.requester, body="Any news?")
    with time_machine.travel(at(hour=12, minute=10), tick=False):
        b = ServiceRequest.objects.get(title__startswith="B ")
        services.request_claim(service_request=b, by=world.agent)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", "C A D B E"),  # nearest due time first, none last
        ("priority", "C D E A B"),  # most urgent first, then the oldest
        ("age", "E A B C D"),  # oldest first
        ("newest", "D C B A E"),
        ("updated", "A B D C E"),  # A: reply 12:20, B: claimed 12:10, D: filed 12:00, C 11:00, E 09:30
    ],
)
def test_every_sort_gives_its_order(world, client_for, sortable, sort, expected):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        order = [title[0] for title in shown(client_for(world.agent), world.it, sort=sort)]

    assert order == expected.split()


def test_the_default_sort_is_the_nearest_due_time(world, client_for, sortable):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        client = client_for(world.agent)
        assert shown(client, world.it) == shown(client, world.it, sort="due")


def test_an_unknown_sort_is_reported_and_the_default_used(world, client_for, sortable):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        page = queue_page(client_for(world.agent), world.it, 400, sort="title; DROP TABLE")

    assert 'id="id_sort_error"' in page
    assert [title[0] for title in titles(page)] == ["C", "A", "D", "B", "E"]


# --- keyset pages ----------------------------------------------------------------------------------

NEXT_RE = re.compile(r'<a class="page-link" rel="next" href="([^"]+)"')
PREVIOUS_RE = re.compile(r'<a class="page-link" rel="prev" href="([^"]+)"')
PAGE = 3


@pytest.fixture
def eleven_requests(world: Any, office: Any, settings: Any) -> list[ServiceRequest]:
    """Eleven requests with ties on every sort key (filed in the same instant) and three without a due time."""
    settings.QUEUE_PAGE_SIZE = PAGE
    made = []
    same_moment = at(hour=9)
    for n, priority in enumerate(["normal", "normal", "normal", "high", "low"]):
        made.append(file_at(same_moment, world, f"same moment {n}", priority=priority))
    for n, hour in enumerate([10, 11, 12]):
        made.append(file_at(at(hour=hour), world, f"later {n}", priority="critical" if n == 1 else None))
    for n in range(3):
        sr = file_at(at(hour=8), world, f"no due time {n}")
        with time_machine.travel(at(hour=9, minute=30), tick=False):
            services.comment_add(service_request=sr, author=world.agent, body="Which model?")
            services.request_change_status(service_request=sr, to_status=Status.WAITING, by=world.agent)
        made.append(sr)
    return made


FAR = datetime.max.replace(tzinfo=UTC)
SORT_KEYS = {
    "due": lambda sr: (sr.next_due_at is None, sr.next_due_at or FAR, sr.pk),
    "priority": lambda sr: (-sr.priority_rank, sr.created_at, sr.pk),
    "age": lambda sr: (sr.created_at, sr.pk),
    "newest": lambda sr: (-sr.created_at.timestamp(), -sr.pk),
    "updated": lambda sr: (-sr.updated_at.timestamp(), -sr.pk),
}


def walk(client: Any, first_url: str, link: re.Pattern[str]) -> tuple[list[list[str]], str]:
    """Follow ``link`` from ``first_url`` to the end: the references of each page and the last page's URL."""
    pages, url = [], first_url
    for _ in range(20):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        pages.append(re.findall(r'<td class="ref"><a href="[^"]+">([^<]+)</a>', page))
        found = link.search(page)
        if found is None:
            return pages, url
        url = reverse("requests_app:queue", args=["it"]) + html.unescape(found.group(1))
    raise AssertionError("the pages never end")


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_pages_forward_show_every_row_once_in_order(world, client_for, eleven_requests, sort):
    expected = [sr.reference for sr in sorted(ServiceRequest.objects.all(), key=SORT_KEYS[sort])]

    with time_machine.travel(at(hour=12, minute=30), tick=False):
        pages, _ = walk(client_for(world.agent), f"/queues/it/?sort={sort}", NEXT_RE)

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [ref for p in pages for ref in p] == expected


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_pages_backward_retrace_the_pages_forward(world, client_for, eleven_requests, sort):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        client = client_for(world.agent)
        forward, last_url = walk(client, f"/queues/it/?sort={sort}", NEXT_RE)
        backward, _ = walk(client, last_url, PREVIOUS_RE)

    assert backward == list(reversed(forward))


def test_rows_without_a_due_time_come_last_and_page_correctly(world, client_for, eleven_requests):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        pages, _ = walk(client_for(world.agent), "/queues/it/", NEXT_RE)

    undated = {sr.reference for sr in ServiceRequest.objects.filter(next_due_at__isnull=True)}
    assert len(undated) == 3
    flat = [ref for p in pages for ref in p]
    assert set(flat[-3:]) == undated


def test_the_first_page_has_no_previous_link_and_the_last_no_next(world, client_for, eleven_requests):
    client = client_for(world.agent)
    first = queue_page(client, world.it)
    assert NEXT_RE.search(first) and not PREVIOUS_RE.search(first)

    _, last_url = walk(client, "/queues/it/", NEXT_RE)
    last = client.get(last_url).content.decode()
    assert PREVIOUS_RE.search(last) and not NEXT_RE.search(last)


def test_pages_keep_the_filters(world, client_for, eleven_requests):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        pages, _ = walk(client_for(world.agent), "/queues/it/?status=waiting&sort=age", NEXT_RE)

    assert sorted(ref for p in pages for ref in p) == sorted(
        ServiceRequest.objects.filter(status=Status.WAITING).values_list("reference", flat=True)
    )


def test_the_count_covers_every_page(world, client_for, eleven_requests):
    page = queue_page(client_for(world.agent), world.it)

    assert re.search(r'id="queue-count">11 requests<', page)


def test_a_search_is_counted_only_up_to_its_cap(world, client_for, eleven_requests, monkeypatch):
    monkeypatch.setattr("requests_app.selectors.queue.SEARCH_COUNT_CAP", 4)
    client = client_for(world.agent)

    searched = queue_page(client, world.it, q="same")  # five titles say "same moment"
    narrower = queue_page(client, world.it, q="later")  # three say "later"
    unsearched = queue_page(client, world.it)

    assert re.search(r'id="queue-count">4\+ requests<', searched)
    assert re.search(r'id="queue-count">3 requests<', narrower)
    assert re.search(r'id="queue-count">11 requests<', unsearched)


def test_the_api_counts_a_search_only_up_to_its_cap(world, client_for, eleven_requests, monkeypatch):
    monkeypatch.setattr("requests_app.selectors.queue.SEARCH_COUNT_CAP", 4)
    url = reverse("api:queue", args=[world.it.slug])

    searched = client_for(world.agent).get(url, {"q": "same"}).json()
    unsearched = client_for(world.agent).get(url).json()

    assert (searched["count"], searched["count_is_capped"]) == (4, True)
    assert (unsearched["count"], unsearched["count_is_capped"]) == (11, False)


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


TAMPERED = {
    "not base64": "%%%not-a-cursor%%%",
    "not json": base64.urlsafe_b64encode(b"\xff\xfe{[").decode(),
    "a list": _cursor([1, 2, 3]),
    "another sort": _cursor({"s": "age", "v": ["2026-03-02T09:00:00+00:00", 1], "b": False}),
    "missing values": _cursor({"s": "due", "b": False}),
    "too few values": _cursor({"s": "due", "v": [None], "b": False}),
    "text for a number": _cursor({"s": "due", "v": [None, "1 OR 1=1"], "b": False}),
    "a boolean for a number": _cursor({"s": "due", "v": [None, True], "b": False}),
    "a naive time": _cursor({"s": "due", "v": ["2026-03-02T09:00:00", 1], "b": False}),
    "not a time": _cursor({"s": "due", "v": ["yesterday", 1], "b": False}),
    "an impossible date": _cursor({"s": "due", "v": ["2026-02-31T09:00:00+00:00", 1], "b": False}),
    "the end of time": _cursor({"s": "due", "v": ["9999-12-31T23:59:59-12:00", 1], "b": False}),
    "before the start of time": _cursor({"s": "due", "v": ["0001-01-01T00:00:00+12:00", 1], "b": False}),
    "a null where none may be": _cursor({"s": "age", "v": [None, 1], "b": False}),
    "a huge number": _cursor({"s": "due", "v": [None, 10**40], "b": False}),
    "a string direction": _cursor({"s": "due", "v": [None, 1], "b": "yes"}),
}


@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_cursor_shows_the_first_page_with_a_message(world, client_for, eleven_requests, cursor):
    client = client_for(world.agent)
    first_page = titles(queue_page(client, world.it))

    page = queue_page(client, world.it, cursor=cursor, sort="due")

    assert "Showing the first page." in page
    assert titles(page) == first_page


def test_a_well_formed_cursor_with_an_unusual_offset_still_answers(world, client_for, eleven_requests):
    """PostgreSQL refuses offsets beyond 15:59; the same instant in UTC is fine."""
    cursor = _cursor({"s": "age", "v": ["2026-03-02T09:00:00+16:00", 0], "b": False})

    page = queue_page(client_for(world.agent), world.it, cursor=cursor, sort="age")

    assert len(titles(page)) == PAGE


# --- saved views -----------------------------------------------------------------------------------

VIEW_RE = re.compile(
    r'<a class="stretched-link[^"]*" href="\?([^"]*)"[^>]*>(.*?)</a>\s*'
    r'<span class="[^"]*view-count">([^<]*)</span>',
    re.DOTALL,
)


def sidebar(page: str) -> dict[str, int]:
    """The sidebar's views by name (a shared one marked " (shared)") with their counts."""
    views = {}
    for _, label, count in VIEW_RE.findall(page):
        name = html.unescape(re.sub(r"<[^>]+>shared</span>", "", label)).strip()
        if "shared</span>" in label:
            name += " (shared)"
        views[name] = int(count.replace(",", "").rstrip("+"))
    return views


def save_view(client: Any, department: Any, name: str, query: str, *, shared: bool = False) -> Any:
    data = {"name": name, "query": query}
    if shared:
        data["shared"] = "on"
    return client.post(reverse("requests_app:saved_view_create", args=[department.slug]), data, follow=True)


@pytest.fixture
def triage_mix(world: Any, office: Any) -> None:
    """Seen on Monday at 12:30: 2 unassigned (1 at risk), 1 the agent's, 1 breached of the lead's,
    1 waiting, 1 resolved."""
    file_at(at(hour=12), world, "unassigned, on track")
    file_at(at(hour=9), world, "unassigned, at risk")
    mine = file_at(at(hour=12), world, "the agent's, on track")
    breached = file_at(at(hour=9), world, "the lead's, breached", priority="critical")
    waiting = file_at(at(hour=12), world, "waiting")
    resolved = file_at(at(hour=12), world, "resolved")
    with time_machine.travel(at(hour=12, minute=5), tick=False):
        services.request_claim(service_request=mine, by=world.agent)
        services.request_claim(service_request=breached, by=world.lead)
        services.request_claim(service_request=waiting, by=world.agent)
        services.request_change_status(service_request=waiting, to_status=Status.WAITING, by=world.agent)
        services.request_resolve(service_request=resolved, by=world.agent, resolution_note="Done")


def test_every_department_gets_the_default_views_with_live_counts(world, client_for, triage_mix):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        page = queue_page(client_for(world.agent), world.it)

    assert sidebar(page) == {
        "All open": 5,
        "Unassigned": 2,
        "Mine": 2,
        "At risk": 1,
        "Breached": 1,
        "Waiting on requester": 1,
    }


def test_the_mine_view_counts_for_whoever_looks(world, client_for, triage_mix):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        page = queue_page(client_for(world.lead), world.it)

    assert sidebar(page)["Mine"] == 1


def test_another_department_gets_the_same_default_views_with_its_own_counts(world, client_for, triage_mix):
    factories.make_request(world.certificate, world.requester, title="certificate", purpose="Bank")

    page = queue_page(client_for(world.other_agent), world.hr)

    assert sidebar(page) == {
        "All open": 1,
        "Unassigned": 1,
        "Mine": 0,
        "At risk": 0,
        "Breached": 0,
        "Waiting on requester": 0,
    }


def test_the_sidebar_counts_follow_changes(world, client_for, triage_mix):
    client = client_for(world.agent)
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        services.request_claim(service_request=ServiceRequest.objects.get(title="unassigned, at risk"), by=world.agent)
        views = sidebar(queue_page(client, world.it))

    assert (views["Unassigned"], views["Mine"], views["At risk"]) == (1, 3, 1)


def test_the_current_views_link_is_marked_as_the_page(world, client_for, triage_mix):
    page = queue_page(client_for(world.agent), world.it, assignee="unassigned")

    assert re.search(r'href="\?assignee=unassigned" aria-current="page">Unassigned<', page)


def test_the_sidebar_counts_follow_the_clock_with_their_statements_kept(world, client_for, triage_mix):
    client = client_for(world.agent)
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        before = sidebar(queue_page(client, world.it))
    # By 16:01 "unassigned, on track" (filed 12:00, 4 business hours) and others have run out of time.
    later = at(hour=16, minute=1)
    with time_machine.travel(later, tick=False):
        after = sidebar(queue_page(client, world.it))
    breached = queue_selectors.sla_state_q("breached", later)
    breached_later = ServiceRequest.objects.filter(breached, department=world.it).count()
    assert before["Breached"] == 1
    assert after["Breached"] == breached_later > 2
    assert after["At risk"] == 0


def test_the_mine_view_counts_for_each_person_in_turn(world, client_for, triage_mix):
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        counts = [
            sidebar(queue_page(client_for(who), world.it))["Mine"] for who in (world.agent, world.lead, world.agent)
        ]

    assert counts == [2, 1, 2]


def test_an_agent_saves_the_current_filters_as_a_personal_view(world, client_for, triage_mix):
    client = client_for(world.agent)

    response = save_view(client, world.it, "Unassigned and at risk", "sla=at_risk&assignee=unassigned&cursor=abc")

    view = SavedView.objects.get()
    assert (view.owner, view.department, view.shared) == (world.agent, world.it, False)
    assert view.query == "assignee=unassigned&sla=at_risk"  # filters only, in a stable order, no paging
    assert response.redirect_chain[-1][0] == "/queues/it/?assignee=unassigned&sla=at_risk"
    with time_machine.travel(at(hour=12, minute=30), tick=False):
        assert sidebar(queue_page(client, world.it))["Unassigned and at risk"] == 1
        assert "Unassigned and at risk" not in sidebar(queue_page(client_for(world.lead), world.it))


def test_a_saved_view_opens_its_filters(world, client_for, triage_mix):
    client = client_for(world.agent)
    save_view(client, world.it, "Waiting", "status=waiting")

    page = queue_page(client, world.it)
    link = next(query for query, label, _ in VIEW_RE.findall(page) if label.strip() == "Waiting")

    assert shown(client, world.it, **dict(part.split("=") for part in html.unescape(link).split("&"))) == ["waiting"]


def test_saved_views_count_searches_sorts_and_people(world, client_for, triage_mix):
    services.comment_add(
        service_request=ServiceRequest.objects.get(title="waiting"), author=world.agent, body="Toner is empty."
    )
    client = client_for(world.lead)
    save_view(client, world.it, "Toner", "q=toner&status=all")
    save_view(client, world.it, "The agent's by priority", f"assignee={world.agent.pk}&sort=priority")
    save_view(client, world.it, "Everything ever", "status=all")

    with time_machine.travel(at(hour=12, minute=30), tick=False):
        views = sidebar(queue_page(client, world.it))

    assert (views["Toner"], views["The agent's by priority"], views["Everything ever"]) == (1, 2, 6)


def test_only_a_lead_can_share_a_view(world, client_for, triage_mix):
    response = save_view(client_for(world.agent), world.it, "Team view", "assignee=unassigned", shared=True)

    assert "Only a lead can share a view" in response.content.decode()
    assert not SavedView.objects.exists()


def test_a_view_shared_by_a_lead_is_in_every_members_sidebar(world, client_for, triage_mix):
    save_view(client_for(world.lead), world.it, "Team view", "assignee=unassigned", shared=True)
    colleague = factories.make_user("itagent2")
    factories.add_member(colleague, world.it, Role.AGENT)

    with time_machine.travel(at(hour=12, minute=30), tick=False):
        for person in (world.agent, colleague, world.lead):
            assert sidebar(queue_page(client_for(person), world.it))["Team view (shared)"] == 2
    assert SavedView.objects.get().shared


def test_a_view_shared_in_one_department_is_not_in_another(world, client_for, triage_mix):
    save_view(client_for(world.lead), world.it, "Team view", "", shared=True)

    assert "Team view (shared)" not in sidebar(queue_page(client_for(world.other_agent), world.hr))


def test_a_person_cannot_save_two_views_of_the_same_name(world, client_for):
    client = client_for(world.agent)
    save_view(client, world.it, "Mine too", "assignee=mine")

    response = save_view(client, world.it, "Mine too", "status=waiting")

    assert "You already have a view called" in response.content.decode()
    assert SavedView.objects.get().query == "assignee=mine"


def test_a_view_needs_a_name(world, client_for):
    save_view(client_for(world.agent), world.it, "   ", "assignee=mine")

    assert not SavedView.objects.exists()


def test_someone_outside_the_department_cannot_save_its_views(world, client_for):
    for person in (world.other_agent, world.requester):
        response = client_for(person).post(
            reverse("requests_app:saved_view_create", args=["it"]), {"name": "Sneaky", "query": ""}
        )
        assert response.status_code == 404
    assert not SavedView.objects.exists()


def delete_view(client: Any, view: SavedView) -> Any:
    return client.post(reverse("requests_app:saved_view_delete", args=[view.department.slug, view.pk]))


def test_the_owner_deletes_their_view(world, client_for):
    view = services.saved_view_create(department=world.it, owner=world.agent, name="Mine", query="assignee=mine")

    response = delete_view(client_for(world.agent), view)

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_nobody_else_can_delete_a_personal_view(world, client_for):
    view = services.saved_view_create(department=world.it, owner=world.agent, name="Mine", query="assignee=mine")

    for person in (world.lead, world.other_agent, world.requester):
        assert delete_view(client_for(person), view).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_an_agent_cannot_delete_a_shared_view(world, client_for):
    view = services.saved_view_create(department=world.it, owner=world.lead, name="Team", query="", shared=True)

    response = delete_view(client_for(world.agent), view)

    assert response.status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_any_lead_of_the_department_can_delete_a_shared_view(world, client_for):
    view = services.saved_view_create(department=world.it, owner=world.lead, name="Team", query="", shared=True)
    second_lead = factories.make_user("lead2")
    factories.add_member(second_lead, world.it, Role.LEAD)

    response = delete_view(client_for(second_lead), view)

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_deleting_is_a_post(world, client_for):
    view = services.saved_view_create(department=world.it, owner=world.agent, name="Mine", query="assignee=mine")

    response = client_for(world.agent).get(reverse("requests_app:saved_view_delete", args=["it", view.pk]))

    assert response.status_code == 405
    assert SavedView.objects.exists()


def test_a_saved_view_whose_filter_no_longer_validates_still_renders(world, client_for, triage_mix):
    leaver = factories.make_user("leaver")
    membership = factories.add_member(leaver, world.it, Role.AGENT)
    client = client_for(world.lead)
    save_view(client, world.it, "The leaver's", f"assignee={leaver.pk}")
    membership.delete()

    views = sidebar(queue_page(client, world.it))

    assert views["The leaver's"] == 0
