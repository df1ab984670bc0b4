"""Notification emails: who gets them, what they carry, what they never carry."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from departments.models import Role
from requests_app import services, tasks
from requests_app.models import Notification, NotificationKind, ServiceRequest

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SECRET = "Internal: budget code 4711, do not tell"
AWKWARD_TITLE = 'Fish & Chips <urgent> "now" it\'s'


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """``with committed(): ...``: run what the block enqueued on commit, as production does after COMMIT."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sr(world: Any, committed: Any) -> ServiceRequest:
    with committed():
        filed = factories.make_request(world.laptop, world.requester, title=AWKWARD_TITLE, asset_tag="A", reason="Slow")
    return filed


def html_part(message: Any) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def every_mail_text() -> str:
    return "\n".join(
        [m.subject for m in mail.outbox] + [m.body for m in mail.outbox] + [html_part(m) for m in mail.outbox]
    )


def test_every_notification_is_multipart_text_and_html(world, sr, committed):
    with committed():
        services.comment_add(service_request=sr, author=world.agent, body="A **public** answer")
        services.comment_add(service_request=sr, author=world.requester, body="Thanks")
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Fixed")

    assert len(mail.outbox) == 4
    for message in mail.outbox:
        assert message.content_subtype == "plain"
        assert "<p>" not in message.body
        assert "<p>" in html_part(message)


def test_every_subject_carries_the_reference(world, sr, committed):
    with committed():
        services.comment_add(service_request=sr, author=world.agent, body="Hello")
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Fixed")

    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 3
    assert all(subject.startswith(f"[{sr.reference}] ") for subject in subjects)


def test_subject_is_one_line(world, committed):
    with committed():
        factories.make_request(world.laptop, world.requester, title="Two\nlines", asset_tag="A", reason="Slow")

    [message] = mail.outbox
    assert "\n" not in message.subject


def test_internal_note_sends_no_email(world, sr, committed):
    sent = len(mail.outbox)

    with committed():
        services.comment_add(service_request=sr, author=world.agent, body=SECRET, internal=True)

    assert len(mail.outbox) == sent


def test_internal_note_never_appears_in_any_email(world, sr, committed):
    with committed():
        services.comment_add(service_request=sr, author=world.agent, body=SECRET, internal=True)
        services.comment_add(service_request=sr, author=world.agent, body="Public answer")
        services.comment_add(service_request=sr, author=world.requester, body="Thanks")
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Fixed")

    assert len(mail.outbox) == 4
    assert SECRET not in every_mail_text()


def test_reply_task_refuses_to_mail_an_internal_note_even_if_asked(world, sr):
    note = services.comment_add(service_request=sr, author=world.agent, body=SECRET, internal=True)
    sent = len(mail.outbox)

    forged = Notification.objects.create(
        request=sr, kind=NotificationKind.PUBLIC_REPLY, subject_id=note.pk, send_after=note.created_at
    )

    assert tasks.deliver_notification(forged.pk) is True
    assert len(mail.outbox) == sent
    forged.refresh_from_db()
    assert forged.recipients == ""


def test_new_request_goes_to_every_agent_and_lead_of_the_department(world, sr):
    [message] = mail.outbox

    assert sorted(message.to) == ["agent@example.com", "lead@example.com"]


def test_new_request_skips_inactive_members_and_members_without_email(world, committed):
    gone = factories.make_user("gone", is_active=False)
    silent = factories.make_user("silent", email="")
    factories.add_member(gone, world.it, Role.AGENT)
    factories.add_member(silent, world.it, Role.AGENT)

    with committed():
        factories.make_request(world.laptop, world.requester, asset_tag="A", reason="Slow")

    [message] = mail.outbox
    assert sorted(message.to) == ["agent@example.com", "lead@example.com"]


def test_department_with_a_queue_address_gets_the_new_request_mail_there_only(world, committed):
    world.it.queue_email = "it-desk@example.com"
    world.it.save(update_fields=["queue_email"])

    with committed():
        factories.make_request(world.laptop, world.requester, asset_tag="A", reason="Slow")

    [message] = mail.outbox
    assert message.to == ["it-desk@example.com"]
    assert message.cc == []
    assert message.bcc == []


def test_department_without_any_address_sends_nothing_and_filing_still_works(world, committed):
    world.other_agent.email = ""
    world.other_agent.save(update_fields=["email"])

    with committed():
        sr = factories.make_request(world.certificate, world.agent, purpose="Bank")

    assert ServiceRequest.objects.filter(pk=sr.pk).exists()
    assert mail.outbox == []


def test_staff_reply_goes_to_the_requester_only(world, sr, committed):
    mail.outbox.clear()

    with committed():
        services.comment_add(service_request=sr, author=world.agent, body="Try a restart")

    [message] = mail.outbox
    assert message.to == ["requester@example.com"]
    assert "Try a restart" in message.body


def test_requester_reply_goes_to_the_assignee_when_there_is_one(world, sr, committed):
    services.request_claim(service_request=sr, by=world.agent)
    mail.outbox.clear()

    with committed():
        services.comment_add(service_request=sr, author=world.requester, body="Still broken")

    [message] = mail.outbox
    assert message.to == ["agent@example.com"]


def test_requester_reply_goes_to_the_department_when_nobody_is_assigned(world, sr, committed):
    world.it.queue_email = "it-desk@example.com"
    world.it.save(update_fields=["queue_email"])
    mail.outbox.clear()

    with committed():
        services.comment_add(service_request=sr, author=world.requester, body="Anyone?")

    [message] = mail.outbox
    assert message.to == ["it-desk@example.com"]


def test_resolution_goes_to_the_requester_with_the_note(world, sr, committed):
    mail.outbox.clear()

    with committed():
        services.request_resolve(service_request=sr, by=world.agent, resolution_note="Replaced the battery")

    [message] = mail.outbox
    assert message.to == ["requester@example.com"]
    assert "Replaced the battery" in message.body
    assert "Replaced the battery" in html_part(message)


def test_text_part_and_subject_show_the_title_as_typed(world, sr):
    [message] = mail.outbox

    assert AWKWARD_TITLE in message.subject
    assert AWKWARD_TITLE in message.body
    assert "&amp;" not in message.body
    assert "&lt;" not in message.body


def test_html_part_escapes_the_title(world, sr):
    [message] = mail.outbox
    content = html_part(message)

    assert "Fish &amp; Chips &lt;urgent&gt;" in content
    assert "<urgent>" not in content


def test_text_part_shows_a_reply_as_typed_and_html_part_sanitizes_it(world, sr, committed):
    body = "a < b & c <script>alert(1)</script>"
    mail.outbox.clear()

    with committed():
        services.comment_add(service_request=sr, author=world.agent, body=body)

    [message] = mail.outbox
    assert body in message.body
    assert "<script>" not in html_part(message)
    assert "a &lt; b &amp; c" in html_part(message)
    assert AWKWARD_TITLE in message.subject
