"""Triage pages cost the same number of SQL queries at 5 rows as at 50, and at most 12 (house rule 2).

Measured with business calendars that have holidays on both departments and on one service, saved
views (personal and shared, with a search and a person among them) in the queue's sidebar, and rows
that vary in requester, requester's department, service, assignee and conversation, so a missing
join or prefetch shows as a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count, cycle
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Holiday, Profile, Role
from departments.services import calendar_compile
from requests_app import services
from requests_app.models import ServiceRequest, Status

from .. import factories
from ..query_counts import queries_for

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MOST = 12
FEW, MANY = 5, 50
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # normal priority: first response due 13:00, at risk from 12:00


@pytest.fixture(autouse=True)
def _one_page(settings: Any) -> None:
    settings.QUEUE_PAGE_SIZE = 100


def measure(client: Any, path: str, *, grow: Any, shown: Any, now: datetime) -> tuple[int, int]:
    """Queries at FEW rows and at MANY rows (``grow(n)`` adds n rows, ``shown()`` lists what must show)."""
    grow(FEW)
    with time_machine.travel(now, tick=False):
        client.get(path)  # warm-up: sessions, content types
        at_few = queries_for(client, path, shown())
    grow(MANY - FEW)
    with time_machine.travel(now, tick=False):
        at_many = queries_for(client, path, shown())
    return at_few, at_many


def calendar_with_holidays(name: str) -> Any:
    calendar = factories.make_calendar(name, time_zone="UTC", hours=(9, 17))
    for day, holiday in [(date(2026, 4, 3), "Good Friday"), (date(2026, 4, 6), "Easter Monday")]:
        Holiday.objects.create(calendar=calendar, date=day, name=holiday)
    Holiday.objects.create(calendar=calendar, date=date(2026, 5, 1), name="Labour Day")
    return calendar_compile(calendar=calendar)


@dataclass
class Setting:
    world: Any
    software: Any
    finance: Any


@pytest.fixture
def setting(world: Any) -> Setting:
    """Calendars with holidays everywhere, a second IT service with its own calendar and policy, more IT
    agents, and saved views of every kind."""
    for department in (world.it, world.hr):
        department.calendar = calendar_with_holidays(f"{department.name} office")
        department.save(update_fields=["calendar"])
    software = factories.make_service(
        world.it,
        "Software install",
        calendar=calendar_with_holidays("Software desk"),
        sla_policy=factories.make_policy("Software"),
    )
    finance = factories.make_department("Finance", "FIN")
    for n in range(3):
        factories.add_member(factories.make_user(f"itagent{n}"), world.it, Role.AGENT)
    views = [
        (world.agent, "Toner", "q=toner", False),
        (world.agent, "Lead's", f"assignee={world.lead.pk}", False),
        (world.lead, "Unassigned at risk", "assignee=unassigned&sla=at_risk", True),
        (world.lead, "Finance by priority", f"requester_department={finance.pk}&sort=priority", True),
        (world.lead, "Everything", "status=all", False),
    ]
    for owner, name, query, shared in views:
        services.saved_view_create(department=world.it, owner=owner, name=name, query=query, shared=shared)
    return Setting(world, software, finance)


class Grower:
    """Files IT requests at Monday 09:00, each from a new requester, shaped to match one queue filter."""

    def __init__(self, setting: Setting, **shape: Any) -> None:
        self.s = setting
        self.shape = shape
        self.numbers = count()
        self.filed: list[ServiceRequest] = []
        world = setting.world
        self.services = cycle([shape["service"]] if "service" in shape else [world.laptop, setting.software])
        self.homes = cycle([shape["home"]] if "home" in shape else [setting.finance, world.hr, None])
        self.assignees = cycle([shape["assignee"]] if "assignee" in shape else [None, world.agent, world.lead])

    def __call__(self, n: int) -> None:
        world = self.s.world
        for _ in range(n):
            number = next(self.numbers)
            requester = factories.make_user()
            home = next(self.homes)
            if home is not None:
                Profile.objects.create(user=requester, department=home)
            with time_machine.travel(MONDAY_9, tick=False):
                sr = services.request_file(
                    service=next(self.services),
                    requester=requester,
                    title=f"Printer {number}",
                    values={"asset_tag": f"PR-{number}"},
                    priority=self.shape.get("priority"),
                )
            with time_machine.travel(MONDAY_9 + timedelta(minutes=5), tick=False):
                assignee = next(self.assignees)
                if assignee is not None:
                    services.request_assign(service_request=sr, assignee=assignee, by=world.lead)
                # The requester's own message: searchable, and it does not stop the first-response clock.
                services.comment_add(service_request=sr, author=requester, body=f"Toner smudge {number}")
                services.comment_add(service_request=sr, author=world.agent, body="Walrus", internal=True)
                if self.shape.get("waiting"):
                    services.request_change_status(service_request=sr, to_status=Status.WAITING, by=world.agent)
            self.filed.append(sr)

    def references(self) -> list[str]:
        return [f">{sr.reference}<" for sr in self.filed]


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY_9.replace(hour=hour, minute=minute)


# (query, shape of the rows, who looks, when). "{agent}", "{laptop}" and "{finance}" are filled in.
QUEUE_CASES = {
    "default": ("", {}, "agent", at(10)),
    "all statuses": ("status=all", {}, "agent", at(10)),
    "waiting": ("status=waiting", {"waiting": True}, "agent", at(10)),
    "priority": ("priority=high", {"priority": "high"}, "agent", at(9, 30)),
    "on track": ("sla=on_track", {}, "agent", at(10)),
    "at risk": ("sla=at_risk", {}, "agent", at(12, 30)),
    "breached": ("sla=breached", {}, "agent", at(14)),
    "paused": ("sla=paused", {"waiting": True}, "agent", at(10)),
    "unassigned": ("assignee=unassigned", {"assignee": None}, "agent", at(10)),
    "mine": ("assignee=mine", {"assignee": "agent"}, "agent", at(10)),
    "a person": ("assignee={agent}", {"assignee": "agent"}, "lead", at(10)),
    "service": ("service={laptop}", {"service": "laptop"}, "agent", at(10)),
    "requester's department": ("requester_department={finance}", {"home": "finance"}, "lead", at(10)),
    "created": ("created_from=2026-03-02&created_to=2026-03-02", {}, "agent", at(10)),
    "due": ("due_from=2026-03-02&due_to=2026-03-02", {}, "agent", at(10)),
    "search": ("q=toner", {}, "agent", at(10)),
    "search of two words": ("q=smudge+printer", {}, "lead", at(10)),
    "by priority": ("sort=priority", {}, "agent", at(10)),
    "oldest": ("sort=age", {}, "agent", at(10)),
    "newest": ("sort=newest", {}, "agent", at(10)),
    "last updated": ("sort=updated", {}, "lead", at(10)),
    "everything at once": (
        "q=toner&sla=at_risk&assignee=unassigned&priority=normal&status=new&sort=priority"
        "&created_from=2026-03-02&due_to=2026-03-02&requester_department={finance}",
        {"assignee": None, "home": "finance"},
        "lead",
        at(12, 30),
    ),
}


def _resolve(setting: Setting, shape: dict[str, Any]) -> dict[str, Any]:
    world = setting.world
    named = {"agent": world.agent, "lead": world.lead, "laptop": world.laptop, "finance": setting.finance}
    return {key: named.get(value, value) if isinstance(value, str) else value for key, value in shape.items()}


@pytest.mark.parametrize("case", QUEUE_CASES.keys())
def test_the_filtered_queue_costs_the_same_at_5_and_at_50_rows(setting, client_for, case):
    query, shape, viewer, now = QUEUE_CASES[case]
    world = setting.world
    query = query.format(agent=world.agent.pk, laptop=world.laptop.pk, finance=setting.finance.pk)
    grow = Grower(setting, **_resolve(setting, shape))
    # Rows no filter above shows but the counts of the sidebar's views do: other departments, finished work.
    factories.make_request(world.certificate, world.requester, "HR's", purpose="Bank")
    done = factories.make_request(world.laptop, world.requester, "Done")
    services.request_resolve(service_request=done, by=world.agent, resolution_note="Done")

    at_few, at_many = measure(
        client_for(getattr(world, viewer)),
        reverse("requests_app:queue", args=["it"]) + "?" + query,
        grow=grow,
        shown=lambda: [*grow.references(), "Unassigned at risk", "Finance by priority"],
        now=now,
    )

    assert at_few == at_many
    assert at_many <= MOST


@pytest.fixture
def conversation_grower(setting: Setting) -> Any:
    """One request with a growing conversation (public and internal, varied authors, each with a file),
    a growing list of watchers and a growing handoff ledger (moves between IT's two services)."""
    world = setting.world
    sr = factories.make_request(world.laptop, world.requester, "Screen")
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)
    services.promise_make(service_request=sr, by=world.agent, due_at=MONDAY_9 + timedelta(days=400))
    agents = [world.agent, world.lead, *[m.user for m in world.it.memberships.filter(user__username__startswith="it")]]
    authors = cycle([world.requester, *agents])
    services_cycle = cycle([setting.software, world.laptop])
    numbers = count()
    texts: list[str] = []
    staff_texts: list[str] = []

    def grow(n: int) -> None:
        for _ in range(n):
            number = next(numbers)
            author = next(authors)
            internal = author != world.requester and number % 3 == 0
            services.comment_add(
                service_request=sr,
                author=author,
                body=f"Message {number}",
                internal=internal,
                files=[("", SimpleUploadedFile(f"file{number}.txt", b"content"))],
            )
            shown = [f"<p>Message {number}</p>", f">file{number}.txt<"]
            (staff_texts if internal else texts).extend(shown)
            if number % 5 == 0:
                watcher = factories.make_user(f"watcher{number}")
                services.watcher_add(service_request=sr, user=watcher, by=world.requester)
                texts.append("Watcher" + str(number) + " Tester")
            if number % 10 == 0:
                current = ServiceRequest.objects.get(pk=sr.pk)
                services.request_transfer(
                    service_request=current, to_service=next(services_cycle), by=world.agent, reason=f"Move {number}"
                )
                staff_texts.append(f"Why: Move {number}")

    grow.request = sr
    grow.texts = texts
    grow.staff_texts = staff_texts
    return grow


@pytest.mark.parametrize("persona", ["requester", "watcher", "agent", "lead"])
def test_the_request_page_costs_the_same_at_5_and_at_50_messages(setting, client_for, conversation_grower, persona):
    world = setting.world
    person = world.colleague if persona == "watcher" else getattr(world, persona)
    staff = persona in ("agent", "lead")

    at_few, at_many = measure(
        client_for(person),
        conversation_grower.request.get_absolute_url(),
        grow=conversation_grower,
        shown=lambda: conversation_grower.texts + (conversation_grower.staff_texts if staff else []),
        now=MONDAY_9 + timedelta(days=1),
    )

    assert at_few == at_many
    assert at_many <= MOST


def test_the_request_page_hides_internal_notes_from_a_watcher_while_measured(setting, client_for, conversation_grower):
    conversation_grower(FEW)

    page = client_for(setting.world.colleague).get(conversation_grower.request.get_absolute_url()).content.decode()

    assert conversation_grower.staff_texts
    assert not [text for text in conversation_grower.staff_texts if text in page]


def test_my_requests_costs_the_same_at_5_and_at_50_rows(setting, client_for):
    """Own requests in both departments and on every service, and requests the person follows."""
    world = setting.world
    filed: list[ServiceRequest] = []
    numbers = count()
    services_cycle = cycle([world.laptop, setting.software, world.certificate])
    assignees = cycle([None, world.agent, world.lead])

    def grow(n: int) -> None:
        for _ in range(n):
            number = next(numbers)
            service = next(services_cycle)
            with time_machine.travel(MONDAY_9 + timedelta(minutes=number), tick=False):
                sr = services.request_file(
                    service=service, requester=world.requester, title=f"Mine {number}", values={}
                )
                assignee = next(assignees)
                if assignee is not None and service.department_id == world.it.pk:
                    services.request_assign(service_request=sr, assignee=assignee, by=world.lead)
                if number % 4 == 1:
                    services.request_change_status(
                        service_request=sr,
                        to_status=Status.WAITING,
                        by=world.agent if service.department_id == world.it.pk else world.other_agent,
                    )
                if number % 5 == 0:
                    followed = services.request_file(
                        service=service, requester=factories.make_user(), title=f"Followed {number}", values={}
                    )
                    services.watcher_add(service_request=followed, user=world.requester, by=followed.requester)
            filed.append(sr)

    at_few, at_many = measure(
        client_for(world.requester),
        reverse("requests_app:my_requests"),
        grow=grow,
        shown=lambda: [f">{sr.reference}<" for sr in filed] + ["Followed 0"],
        now=MONDAY_9 + timedelta(hours=2),
    )

    assert at_few == at_many
    assert at_many <= MOST
