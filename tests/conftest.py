"""Personas and shared fixtures.

The personas are the permission matrix's rows: the requester, a colleague
(another employee), an agent of the department, an agent of another
department, the department's lead, and an admin (Django superuser, who gets no
special rights in the app itself).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from departments.models import FieldType, Role
from servicedesk.celery import app as celery_app

from . import factories


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Any:
    """A request leaves its reader's language active in the thread; the next test starts in English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _eager_celery() -> Any:
    """Unit tests run tasks in-process at commit; integration tests start a real worker instead."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _own_cache_and_no_rate_limits(settings: Any) -> None:
    """Each test counts in a cache of its own (parallel workers share Redis in CI), and rate limits are
    off unless a test switches them on: a test filing 60 requests is not what the limits are about."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{uuid.uuid4()}"}
    }
    settings.RATE_LIMIT_FILING = "0/hour"
    settings.RATE_LIMIT_API = "0/minute"
    settings.RATE_LIMIT_REPLY = "0/minute"


@dataclass
class World:
    it: Any
    hr: Any
    laptop: Any
    certificate: Any
    requester: Any
    colleague: Any
    agent: Any
    other_agent: Any
    lead: Any
    admin: Any


@pytest.fixture
def world(db: Any) -> World:
    """IT and HR, each with services; people in every role."""
    policy = factories.make_policy("Standard")
    it = factories.make_department("IT", "IT", default_sla_policy=policy)
    hr = factories.make_department("HR", "HR", default_sla_policy=policy)
    laptop = factories.make_service(it, "Laptop replacement", slug="laptop-replacement")
    factories.add_field(laptop, "asset_tag", FieldType.SHORT_TEXT, required=True, label="Asset tag")
    factories.add_field(
        laptop, "reason", FieldType.CHOICE, required=True, label="Reason", choices="Broken\nSlow\nStolen"
    )
    factories.add_field(laptop, "needed_by", FieldType.DATE, label="Needed by")
    factories.add_field(laptop, "photo", FieldType.FILE, label="Photo of the damage")
    certificate = factories.make_service(hr, "Employment certificate", slug="employment-certificate")
    factories.add_field(certificate, "purpose", FieldType.SHORT_TEXT, required=True)

    requester = factories.make_user("requester")
    colleague = factories.make_user("colleague")
    agent = factories.make_user("agent")
    other_agent = factories.make_user("hragent")
    lead = factories.make_user("lead")
    admin = factories.make_user("admin", is_staff=True, is_superuser=True)
    factories.add_member(agent, it, Role.AGENT)
    factories.add_member(lead, it, Role.LEAD)
    factories.add_member(other_agent, hr, Role.AGENT)
    return World(it, hr, laptop, certificate, requester, colleague, agent, other_agent, lead, admin)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> Any:
    """``client_for(world.agent)``: a test client signed in as that person."""
    return login


@pytest.fixture
def fast_password_hashing(settings: Any) -> None:
    """MD5 instead of PBKDF2: every persona is a user with a password, and hashing them dominates setup time.

    Opt-in (``pytestmark = pytest.mark.usefixtures("fast_password_hashing")``) so tests that hand users
    to another process keep the production hasher.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def submit(django_capture_on_commit_callbacks: Any) -> Any:
    """``submit(client, url, data)``: POST and run what the view enqueued on commit (notifications).

    Tests run inside a transaction that never commits, so on_commit work only runs when captured.
    """

    def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return post
