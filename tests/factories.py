"""Plain factories: each builds one object with sensible defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from datetime import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from departments.models import (
    BusinessCalendar,
    Department,
    FieldType,
    Membership,
    Priority,
    Role,
    Service,
    ServiceField,
    SLAPolicy,
    SLATarget,
    WorkingInterval,
)
from departments.permissions import forget_memberships
from departments.services import calendar_compile
from requests_app import services
from requests_app.models import ServiceRequest

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_user(username: str | None = None, **extra: Any) -> AbstractBaseUser:
    n = next(_seq)
    username = username or f"user{n}"
    extra.setdefault("email", f"{username}@example.com")
    extra.setdefault("first_name", username.capitalize())
    extra.setdefault("last_name", "Tester")
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)


def make_policy(name: str | None = None, **targets: tuple[int, int]) -> SLAPolicy:
    """``make_policy(normal=(240, 960))``: first response and resolution minutes per priority."""
    policy = SLAPolicy.objects.create(name=name or f"Policy {next(_seq)}")
    defaults = {
        Priority.LOW: (480, 2400),
        Priority.NORMAL: (240, 960),
        Priority.HIGH: (120, 480),
        Priority.CRITICAL: (30, 240),
    }
    defaults.update(targets)
    for priority, (first, resolution) in defaults.items():
        SLATarget.objects.create(
            policy=policy, priority=priority, first_response_minutes=first, resolution_minutes=resolution
        )
    return policy


def make_department(name: str | None = None, prefix: str | None = None, **extra: Any) -> Department:
    n = next(_seq)
    name = name or f"Department {n}"
    prefix = prefix or f"D{n}"
    extra.setdefault("slug", name.lower().replace(" ", "-"))
    return Department.objects.create(name=name, reference_prefix=prefix, **extra)


def add_member(user: AbstractBaseUser, department: Department, role: str = Role.AGENT) -> Membership:
    membership = Membership.objects.create(user=user, department=department, role=role)
    forget_memberships(user)
    return membership


def make_service(department: Department, name: str | None = None, **extra: Any) -> Service:
    n = next(_seq)
    name = name or f"Service {n}"
    extra.setdefault("slug", f"service-{n}")
    extra.setdefault("description", f"{name}: what it is for.")
    return Service.objects.create(department=department, name=name, **extra)


def add_field(
    service: Service, name: str, field_type: str = FieldType.SHORT_TEXT, required: bool = False, **extra: Any
) -> ServiceField:
    extra.setdefault("label", name.replace("_", " ").capitalize())
    extra.setdefault("position", service.fields.count())
    return ServiceField.objects.create(service=service, name=name, field_type=field_type, required=required, **extra)


def make_request(
    service: Service, requester: AbstractBaseUser, title: str = "Please help", **values: Any
) -> ServiceRequest:
    """File through the real service so numbering, events and notifications behave as in production."""
    return services.request_file(service=service, requester=requester, title=title, values=values)


def make_calendar(
    name: str | None = None,
    time_zone: str = "Europe/Berlin",
    hours: tuple[int, int] = (9, 17),
    weekdays: range = range(5),
    **extra: Any,
) -> BusinessCalendar:
    """``make_calendar("Berlin office")``: the same working hours (whole hours, local time) on each weekday."""
    calendar = BusinessCalendar.objects.create(name=name or f"Calendar {next(_seq)}", time_zone=time_zone, **extra)
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start=time(hours[0]), end=time(hours[1] % 24))
        for day in weekdays
    )
    return calendar_compile(calendar=calendar)
