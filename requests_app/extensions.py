"""The core's one declared extension point: what an app built on the desk may add to it.

The dependencies run one way (``departments`` <- ``requests_app`` <- ``requests_app.feedback``), so
the core cannot call the apps above it. Instead it asks the ``Extension`` objects they registered,
from their ``AppConfig.ready()``, at the few places where a page or a mail has room for them:

- the request page: relations to join in its one query, templates to include and their context;
- a service in the catalog and on its page: relations to join, a template to include beside the
  promise (the feedback loop shows what the service delivered);
- the navigation bar and a department's queue sidebar: links;
- the outbox: how to write the email of a kind of notification the core does not write itself (the
  SLA sweep asks for a rating after resolution only when some app writes that email);
- the demo data: examples of what the app adds.

An app that is not installed registers nothing, and every one of these places then shows only the
core; ``tests/test_without_feedback.py`` runs the desk that way. The registry is filled once per
process at start-up and only read afterwards, so it holds no state shared between requests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotations only: models import nothing from here
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

    from departments.models import Department

    from .models import Notification, ServiceRequest

# How an outbox row becomes an email: the template's extra context and the recipients.
Recipe = Callable[["Notification"], tuple[dict[str, Any], list[str]]]


@dataclass(frozen=True)
class Link:
    """A link an app adds to the navigation bar or to a department's queue sidebar."""

    key: str  # the page's ``nav`` value, so the bar can mark it as the current page
    label: str
    url: str


class Extension:
    """Subclass, override what the app adds, and ``register()`` one instance from ``ready()``."""

    #: ``select_related`` paths the request page's one query adds (relations of ``ServiceRequest``).
    request_joins: tuple[str, ...] = ()
    #: templates included in the request page's main column, after the conversation's summary.
    request_templates: tuple[str, ...] = ()
    #: ``select_related`` paths of ``Service`` that the catalog and the service page add.
    service_joins: tuple[str, ...] = ()
    #: a template included beside each service's promise (context: ``service``).
    service_template: str = ""
    #: notification kind -> how to write its email.
    notification_recipes: Mapping[str, Recipe] = {}

    def request_context(
        self, request: HttpRequest, service_request: ServiceRequest, forms: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What ``request_templates`` need; ``forms`` holds bound forms a failed post sends back."""
        return {}

    def navigation(self, request: HttpRequest) -> list[Link]:
        """Links for the navigation bar, for the signed-in ``request.user``."""
        return []

    def department_links(self, user: AbstractBaseUser, department: Department) -> list[Link]:
        """Links for a department's queue sidebar, for one of its agents or leads."""
        return []

    def seed_demo(self, *, now: datetime, rng: random.Random, departments: Sequence[Department]) -> dict[str, int]:
        """Add demo examples over the seeded requests; returns what was created, by name."""
        return {}


_registered: list[Extension] = []


def register(extension: Extension) -> None:
    """Called from an app's ``ready()``; registering the same class twice keeps one."""
    if not any(type(existing) is type(extension) for existing in _registered):
        _registered.append(extension)


def registered() -> tuple[Extension, ...]:
    return tuple(_registered)


def request_page_joins() -> list[str]:
    return [join for extension in _registered for join in extension.request_joins]


def service_joins(prefix: str = "") -> list[str]:
    return [prefix + join for extension in _registered for join in extension.service_joins]


def service_templates() -> list[str]:
    return [extension.service_template for extension in _registered if extension.service_template]


def notification_recipes() -> dict[str, Recipe]:
    recipes: dict[str, Recipe] = {}
    for extension in _registered:
        recipes.update(extension.notification_recipes)
    return recipes


def writes_email(kind: str) -> bool:
    """Whether some registered app writes the email of ``kind``."""
    return any(kind in extension.notification_recipes for extension in _registered)


def request_page(
    request: HttpRequest, service_request: ServiceRequest, forms: Mapping[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    """The templates the request page includes and the context they need."""
    templates: list[str] = []
    context: dict[str, Any] = {}
    for extension in _registered:
        templates.extend(extension.request_templates)
        context.update(extension.request_context(request, service_request, forms))
    return templates, context


def navigation(request: HttpRequest) -> list[Link]:
    return [link for extension in _registered for link in extension.navigation(request)]


def department_links(user: AbstractBaseUser, department: Department) -> list[Link]:
    return [link for extension in _registered for link in extension.department_links(user, department)]
