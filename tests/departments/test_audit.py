"""The audit log of admin changes to SLA policies, calendars, memberships and services: who, when, before → after."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from departments.models import AuditAction, AuditEntry, Membership, Role

from .. import factories
from .test_sla_admin import (
    calendar_data,
    department_change_data,
    import_holidays,
    management,
    policy_data,
    post_calendar,
    post_policy,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def admin_client_(world: Any, client_for: Any) -> Any:
    return client_for(world.admin)


def only_entry() -> AuditEntry:
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1, entries
    return entries[0]


def test_adding_a_policy_records_who_added_it_and_its_targets(world, admin_client_):
    response = post_policy(admin_client_, policy_data(("normal", "4h", "2d")))

    assert response.status_code == 302
    entry = only_entry()
    assert (entry.action, entry.model, entry.object_repr, entry.actor) == (
        AuditAction.ADDED,
        "SLA policy",
        "Premium",
        world.admin,
    )
    assert entry.changes["targets"] == [None, ["normal: 240 / 960 min"]]


def test_changing_a_policy_target_records_before_and_after(world, admin_client_):
    post_policy(admin_client_, policy_data(("normal", "4h", "2d")))
    policy = world.it.default_sla_policy.__class__.objects.get(name="Premium")
    target = policy.targets.get()
    data = policy_data(("normal", "2h", "2d"))
    data.update(management("targets", 1, initial=1))
    data["targets-0-id"] = target.pk
    data["targets-0-policy"] = policy.pk

    response = admin_client_.post(reverse("admin:departments_slapolicy_change", args=[policy.pk]), data)

    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action=AuditAction.CHANGED).get()
    assert entry.changes == {"targets": [["normal: 240 / 960 min"], ["normal: 120 / 960 min"]]}


def test_saving_a_policy_unchanged_records_nothing(world, admin_client_):
    post_policy(admin_client_, policy_data(("normal", "4h", "2d")))
    policy = world.it.default_sla_policy.__class__.objects.get(name="Premium")
    target = policy.targets.get()
    data = policy_data(("normal", "4h", "2d"))
    data.update(management("targets", 1, initial=1))
    data["targets-0-id"] = target.pk
    data["targets-0-policy"] = policy.pk

    admin_client_.post(reverse("admin:departments_slapolicy_change", args=[policy.pk]), data)

    assert not AuditEntry.objects.filter(action=AuditAction.CHANGED).exists()


def test_adding_a_calendar_records_its_working_hours_and_holidays(world, admin_client_):
    data = calendar_data((0, "09:00", "17:00"), holidays=(("2026-12-25", "Christmas Day"),))

    post_calendar(admin_client_, data)

    entry = only_entry()
    assert entry.model == "business calendar"
    assert entry.changes["intervals"] == [None, ["Monday 09:00-17:00"]]
    assert entry.changes["holidays"] == [None, ["2026-12-25: Christmas Day"]]
    assert entry.changes["time_zone"] == [None, "Europe/Berlin"]


def test_a_membership_role_change_on_the_department_page_is_recorded(world, admin_client_):
    data = department_change_data(
        world,
        remind_requester_after_hours="16",
        promise_reminder_minutes="60",
        auto_close_after_days="5",
        auto_close_warning_days="1",
        request_feedback="on",
        escalate_to_leads="on",
        extra_escalation_emails="",
    )
    membership = Membership.objects.get(user=world.agent, department=world.it)
    index = next(i for i, m in enumerate(world.it.memberships.all()) if m.pk == membership.pk)
    data[f"memberships-{index}-role"] = Role.LEAD

    response = admin_client_.post(reverse("admin:departments_department_change", args=[world.it.pk]), data)

    assert response.status_code == 302
    entry = only_entry()
    assert entry.model == "department"
    before, after = entry.changes["memberships"]
    assert "agent (agent)" in before
    assert "agent (lead)" in after


def test_deleting_a_service_records_what_it_was(world, admin_client_):
    service = factories.make_service(world.hr, "Payslip copy")

    response = admin_client_.post(reverse("admin:departments_service_delete", args=[service.pk]), {"post": "yes"})

    assert response.status_code == 302
    entry = only_entry()
    assert (entry.action, entry.model, entry.object_repr) == (AuditAction.DELETED, "service", "HR: Payslip copy")
    assert entry.changes["name"] == ["Payslip copy", None]


def test_the_holiday_import_action_is_recorded(world, admin_client_):
    calendar = factories.make_calendar("Berlin office")

    import_holidays(admin_client_, [calendar])

    entry = only_entry()
    before, after = entry.changes["holidays"]
    assert before == []
    assert "2026-12-25: Christmas Day" in after
    assert entry.actor == world.admin


def test_the_audit_log_is_readable_but_not_editable_in_admin(world, admin_client_):
    post_policy(admin_client_, policy_data(("normal", "4h", "2d")))
    entry = only_entry()

    listing = admin_client_.get(reverse("admin:departments_auditentry_changelist"))
    page = admin_client_.get(reverse("admin:departments_auditentry_change", args=[entry.pk]))
    delete = admin_client_.post(reverse("admin:departments_auditentry_delete", args=[entry.pk]), {"post": "yes"})

    assert listing.status_code == 200 and "Premium" in listing.content.decode()
    assert page.status_code == 200 and "normal: 240 / 960 min" in page.content.decode()
    assert delete.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
