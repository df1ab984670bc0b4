"""Filling in a canned response's placeholders for one request.

Plain substitution of known ``{{ name }}`` placeholders, never the template engine: a canned response
is text written by people, and must not be able to reach anything but the values listed here. The
result is Markdown like any reply, rendered through the sanitizer when shown.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from departments.models import PLACEHOLDER_RE, CannedResponse

from .models import ServiceRequest


def _first_name(user: AbstractBaseUser) -> str:
    return user.first_name or user.get_username()


def _full_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def placeholder_values(service_request: ServiceRequest, agent: AbstractBaseUser) -> dict[str, str]:
    return {
        "requester_first_name": _first_name(service_request.requester),
        "requester_name": _full_name(service_request.requester),
        "reference": service_request.reference,
        "title": service_request.title,
        "service": service_request.service.name,
        "department": service_request.department.name,
        "agent_first_name": _first_name(agent),
        "agent_name": _full_name(agent),
    }


def render_canned_response(canned: CannedResponse, service_request: ServiceRequest, agent: AbstractBaseUser) -> str:
    """The body with each known placeholder replaced; an unknown one (admin refuses them) stays as typed."""
    values = placeholder_values(service_request, agent)
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), canned.body)
