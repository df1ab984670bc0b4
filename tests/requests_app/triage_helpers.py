"""Helpers shared by the triage tests (bulk changes, assignment rules, transfers, watchers, canned responses,
queue rows): a request filed in IT, read back fresh, its history, and instants in a fixed week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from departments.models import AssignmentRule, Role
from requests_app.models import EventKind, RequestEvent, ServiceRequest

from .. import factories

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(day: int = 0, hour: int = 9, minute: int = 0) -> datetime:
    """``day`` days after Monday 2 March 2026 at ``hour``:``minute`` UTC."""
    return MONDAY_9.replace(hour=hour, minute=minute) + timedelta(days=day)


def new_request(world: Any, title: str = "Please help", **extra: Any) -> ServiceRequest:
    return factories.make_request(extra.pop("service", world.laptop), extra.pop("requester", world.requester), title)


def reload(sr: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_related("assignee", "service", "department").get(pk=sr.pk)


def history(sr: ServiceRequest) -> list[tuple[str, Any, str, str]]:
    return [
        (e.kind, e.actor_id, e.from_value, e.to_value)
        for e in RequestEvent.objects.filter(request=sr).exclude(kind=EventKind.FILED).order_by("id")
    ]


def make_desk(world: Any, agents: int, rule: str = AssignmentRule.ROUND_ROBIN) -> tuple[Any, Any, list[Any]]:
    """A department of ``agents`` agents (memberships in that order) with the given assignment rule."""
    desk = factories.make_department(
        "Service desk", "SD", default_sla_policy=world.it.default_sla_policy, assignment_rule=rule
    )
    service = factories.make_service(desk, "Password reset")
    people = []
    for n in range(agents):
        person = factories.make_user(f"desk{n}")
        factories.add_member(person, desk, Role.AGENT)
        people.append(person)
    return desk, service, people
