"""Every transmission of one notification carries the same Message-ID, so a message handed over again
after a worker was killed between sending and recording it reaches its readers once."""

from __future__ import annotations

import pytest
from django.core import mail

from requests_app import emails, services
from requests_app.models import Notification

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def test_sending_a_notification_twice_uses_one_message_id(world, settings):
    settings.SITE_URL = "https://desk.example.com"
    services.request_file(service=world.certificate, requester=world.requester, title="Cert", values={"purpose": "x"})
    notification = Notification.objects.get()
    mail.outbox.clear()

    emails.send_notification(notification)
    emails.send_notification(notification)

    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] == f"<servicedesk-notification-{notification.pk}@desk.example.com>"


def test_different_notifications_have_different_message_ids():
    assert emails.message_id("notification-1") != emails.message_id("notification-2")
    assert emails.message_id("reminder:5:1") != emails.message_id("reminder:5:2")
