"""Fixtures of the feedback loop's tests: the office calendar and the desk driven at chosen instants."""

from __future__ import annotations

from typing import Any

import pytest

from ... import factories
from .desk import Desk


@pytest.fixture(autouse=True)
def _site_days_in_utc(settings: Any) -> None:
    """The summary tables count by the site's days; the expected numbers are written for UTC days."""
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def office(world: Any) -> Any:
    """Monday to Friday, 09:00-17:00 in Berlin, for IT and HR alike."""
    calendar = factories.make_calendar("Berlin office", "Europe/Berlin", hours=(9, 17))
    for department in (world.it, world.hr):
        department.calendar = calendar
        department.save(update_fields=["calendar"])
    return calendar


@pytest.fixture
def desk(world: Any, office: Any, django_capture_on_commit_callbacks: Any) -> Desk:
    return Desk(world, django_capture_on_commit_callbacks)
