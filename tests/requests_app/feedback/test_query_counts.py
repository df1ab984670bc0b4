"""The department dashboard, the company view and the catalog cost the same number of SQL queries
whatever the number of requests (house rule 2): they read the summary tables, never the requests.

Each test measures a page after a refresh at a few requests, files many more (varied requesters and
their home departments, services, low ratings with open follow-ups, thanks), refreshes, checks the page
really counts them all, and measures again.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import cycle
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Profile
from requests_app.models import ServiceRequest

from ... import factories
from .desk import Desk, berlin

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MON, FRI = date(2027, 3, 1), date(2027, 3, 5)
NOW = berlin(FRI, 18)
FEW, MANY = 3, 30


class Growth:
    """Files requests through the week with replies, resolutions, ratings (some low) and thanks."""

    def __init__(self, desk: Desk, world: Any) -> None:
        self.desk, self.world, self.filed = desk, world, 0
        homes = [factories.make_department(name, name[:2].upper()) for name in ("Sales", "Marketing", "Legal")]
        software = factories.make_service(world.it, "Software install", slug="software-install")
        self.homes = cycle([*homes, None])
        self.services = cycle([world.laptop, software, world.laptop, world.certificate])

    def __call__(self, count: int) -> None:
        for _ in range(count):
            n = self.filed
            self.filed += 1
            day = MON + timedelta(days=n % 5)
            service = next(self.services)
            requester = factories.make_user(f"person{n}")
            home = next(self.homes)
            if home is not None:
                Profile.objects.create(user=requester, department=home)
            server = self.world.agent if service.department_id == self.world.it.pk else self.world.other_agent
            sr = self.desk.file(berlin(day, 9 + n % 3), service=service, requester=requester)
            self.desk.reply(sr, berlin(day, 12), by=server)
            if n % 3 != 2:
                self.desk.resolve(sr, berlin(day, 15), by=server)
                self.desk.rate(sr, berlin(day, 16), 1 + n % 5)
                if n % 2 == 0:
                    self.desk.thank(sr, berlin(day, 16, 30), sender=requester, recipient=server)
        self.desk.refresh(NOW, MON, FRI)


def queries(client: Any, path: str) -> tuple[int, str]:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def measure(desk: Desk, world: Any, user: Any, path: str, shows: Any) -> tuple[int, int]:
    """Queries at FEW and at MANY requests; ``shows(page, count)`` checks the page counts them all."""
    grow = Growth(desk, world)
    client = desk.client(user, NOW)
    grow(FEW)
    queries(client, path)  # warm-up: sessions, caches
    at_few, page = queries(client, path)
    assert shows(page, ServiceRequest.objects.count())
    grow(MANY - FEW)
    at_many, page = queries(client, path)
    assert shows(page, ServiceRequest.objects.count())
    return at_few, at_many


def it_filed(page: str, total: int) -> bool:
    it = ServiceRequest.objects.filter(department__slug="it").count()
    return f"{it} filed in the period" in page


def test_department_dashboard_costs_the_same_at_a_few_and_at_many_requests(desk, world):
    path = reverse("feedback:department_dashboard", args=[world.it.slug]) + f"?since={MON}&until={FRI}"

    at_few, at_many = measure(desk, world, world.lead, path, it_filed)

    assert at_few == at_many, (at_few, at_many)


def test_department_dashboard_as_csv_costs_the_same_at_a_few_and_at_many_requests(desk, world):
    path = reverse("feedback:department_dashboard", args=[world.it.slug]) + "?format=csv"

    def total_row(page: str, total: int) -> bool:
        it = ServiceRequest.objects.filter(department__slug="it").count()
        return page.strip().splitlines()[-1].split(",")[3] == str(it)

    at_few, at_many = measure(desk, world, world.agent, path, total_row)

    assert at_few == at_many, (at_few, at_many)


def test_company_view_costs_the_same_at_a_few_and_at_many_requests(desk, world):
    path = reverse("feedback:company") + f"?since={MON}&until={FRI}"

    def all_ranked(page: str, total: int) -> bool:
        filed = page.split('id="ranking"')[1]
        return sum(int(n) for n in _last_cells(filed)) == total

    at_few, at_many = measure(desk, world, world.lead, path, all_ranked)

    assert at_few == at_many, (at_few, at_many)


def test_catalog_costs_the_same_at_a_few_and_at_many_requests(desk, world):
    def laptops_counted(page: str, total: int) -> bool:
        laptops = ServiceRequest.objects.filter(service=world.laptop).count()
        return f"Last 30 days: {laptops} request" in page

    at_few, at_many = measure(desk, world, world.colleague, reverse("requests_app:catalog"), laptops_counted)

    assert at_few == at_many, (at_few, at_many)


def _last_cells(table: str) -> list[str]:
    """The "Filed" column of the ranking: the last cell of each row."""
    return re.findall(r"<td>(\d+)</td></tr>", table)
