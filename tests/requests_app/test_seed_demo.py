"""``seed_demo``: the data someone trying the app lands in, created once, quietly, through the services."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from departments.models import (
    CannedResponse,
    Department,
    EmploymentType,
    Membership,
    Role,
    Service,
    ServiceField,
    SLAPolicy,
)
from requests_app.models import Comment, EventKind, Handoff, RequestEvent, ServiceRequest, Status, Watcher

User = get_user_model()


@pytest.fixture
def seeded(request: Any, db: Any, settings: Any, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """Runs the command with on-commit callbacks executed, as a real commit would run them.

    ``parametrize("seeded", [N], indirect=True)`` seeds N requests instead of the default.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    out = StringIO()
    extra = ["--requests", str(request.param)] if hasattr(request, "param") else []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("seed_demo", *extra, stdout=out)
    return {"output": out.getvalue(), "callbacks": callbacks}


def counts() -> dict[str, int]:
    models = (User, Department, Membership, SLAPolicy, Service, ServiceField, ServiceRequest, Comment, RequestEvent)
    return {model.__name__: model.objects.count() for model in models}


def test_departments_people_and_catalog(seeded: dict[str, Any]) -> None:
    departments = {d.reference_prefix: d for d in Department.objects.filter(services__isnull=False).distinct()}
    assert set(departments) == {"IT", "HR", "FIN", "FAC"}
    customers = Department.objects.filter(services__isnull=True)
    assert set(customers.values_list("reference_prefix", flat=True)) == {"SAL", "MKT"}
    for department in departments.values():
        roles = sorted(department.memberships.values_list("role", flat=True))
        assert roles == [Role.AGENT, Role.AGENT, Role.LEAD]
        assert department.description
        assert department.default_sla_policy.targets.count() == 4
        assert 3 <= department.services.count() <= 5
        for service in department.services.all():
            assert service.fields.exists(), service
            assert service.description and service.what_you_get and service.what_to_provide
    employees = User.objects.filter(memberships__isnull=True, is_superuser=False)
    assert employees.count() >= 10
    contractor = employees.get(username="contractor")
    assert "contractor" in contractor.get_full_name().lower()
    assert not contractor.email.endswith("@example.com")
    assert User.objects.get(username="admin").is_superuser


def test_requests_cover_every_status_with_conversations_and_history(seeded: dict[str, Any]) -> None:
    requests = ServiceRequest.objects.all()
    assert 190 <= requests.count() <= 210
    assert set(requests.values_list("status", flat=True)) == set(Status.values)
    assert Comment.objects.filter(internal=False).exists()
    assert Comment.objects.filter(internal=True).exists()
    assert requests.exclude(assignee=None).exists()
    assert len(set(requests.values_list("priority", flat=True))) >= 3
    # Staff of one department also file requests with another, never with their own.
    assert requests.filter(requester__memberships__isnull=False).exists()
    assert not requests.filter(requester__memberships__department=F("department")).exists()
    now = timezone.now()
    assert not requests.filter(created_at__lt=now - timedelta(days=60)).exists()
    assert not requests.filter(created_at__gt=now).exists()
    filed = RequestEvent.objects.filter(kind=EventKind.FILED)
    assert filed.values("request").distinct().count() == requests.count()
    for sr in requests.filter(status=Status.CLOSED)[:20]:
        times = [e.created_at for e in sr.events.all()]
        assert times == sorted(times) and times[0] == sr.created_at
        assert sr.created_at < sr.first_responded_at < sr.resolved_at < sr.closed_at <= now


def test_second_run_changes_nothing_and_still_prints_the_logins(seeded: dict[str, Any]) -> None:
    before = counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == before
    assert "already there" in out.getvalue()
    assert "it.lead" in out.getvalue()


@pytest.mark.parametrize("seeded", [6], indirect=True)
def test_demo_users_log_in_with_demo(seeded: dict[str, Any]) -> None:
    for username in ("employee", "contractor", "it.lead", "hr.agent1", "admin"):
        assert username in seeded["output"]
        client = Client()
        response = client.post(reverse("login"), {"username": username, "password": "demo"})
        assert response.status_code == 302, username
        assert client.get(reverse("requests_app:catalog")).status_code == 200, username


def test_no_notification_is_enqueued_or_sent(seeded: dict[str, Any]) -> None:
    from departments import config_version

    assert mail.outbox == []
    # The only callbacks allowed replace the catalog's configuration stamp (the demo created a catalog; one
    # per saved row, since Django has no public way to register a commit callback once per transaction).
    assert [c for c in seeded["callbacks"] if c is not config_version._replace] == []


def test_past_sla_events_are_history_and_nothing_is_left_to_mail(seeded: dict[str, Any]) -> None:
    from django.utils import timezone

    from requests_app.models import Notification
    from requests_app.services.sweep import sla_sweep

    assert not Notification.objects.filter(sent_at__isnull=True, send_after__lte=timezone.now()).exists()
    assert ServiceRequest.objects.filter(status="open", resolution_due_at__isnull=False).exists()
    assert ServiceRequest.objects.filter(status="waiting", resolution_due_at__isnull=True).exists()
    sla_sweep()
    assert mail.outbox == []


def test_people_have_home_departments_and_requests_record_them(seeded: dict[str, Any]) -> None:
    anna = User.objects.get(username="employee")
    assert anna.profile.department.slug == "sales"
    assert User.objects.get(username="contractor").profile.employment == EmploymentType.CONTRACTOR
    assert User.objects.get(username="it.agent1").profile.department.slug == "it"
    assert not ServiceRequest.objects.filter(requester=anna).exclude(requester_department__slug="sales").exists()


def test_triage_examples_a_watcher_a_transfer_rules_and_canned_responses(seeded: dict[str, Any]) -> None:
    assert Watcher.objects.filter(request__requester__username="employee").count() == 1
    moved = Handoff.objects.get(ended_at__isnull=False)
    assert moved.department.slug == "hr"
    assert moved.request.department.slug == "finance"
    assert Handoff.objects.count() == ServiceRequest.objects.count() + 1
    assert Department.objects.get(slug="it").assignment_rule == "round_robin"
    facilities = Department.objects.get(slug="facilities")
    assert facilities.assignment_rule == "by_service"
    assert not facilities.services.filter(default_assignee=None).exists()
    assert set(CannedResponse.objects.values_list("department__slug", flat=True)) == {
        "it",
        "hr",
        "finance",
        "facilities",
    }
