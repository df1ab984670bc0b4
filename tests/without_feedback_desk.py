"""The desk with the feedback loop left out (FEEDBACK_LOOP=0), run by tests/test_without_feedback.py in a
process of its own: Django's app registry is built once per process, so the variant needs one.

Files, answers and resolves a request through the web pages on a fresh SQLite database, runs the SLA
sweep, and checks that nothing of the feedback loop shows or is sent. Prints "desk works" at the end.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")


def main() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.core import mail
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from departments.models import FieldType, Role
    from requests_app.models import Notification, NotificationKind, ServiceRequest, Status
    from requests_app.services.sweep import sla_sweep
    from tests import factories

    assert not apps.is_installed("requests_app.feedback")
    setup_test_environment()  # the in-memory mail outbox
    call_command("migrate", verbosity=0)

    it = factories.make_department("IT", "IT", default_sla_policy=factories.make_policy("Standard"))
    laptop = factories.make_service(it, "Laptop replacement", slug="laptop-replacement")
    factories.add_field(laptop, "asset_tag", FieldType.SHORT_TEXT, required=True, label="Asset tag")
    requester, agent = factories.make_user("requester"), factories.make_user("agent")
    factories.add_member(agent, it, Role.LEAD)
    as_requester, as_agent = Client(), Client()
    as_requester.force_login(requester)
    as_agent.force_login(agent)

    catalog = as_requester.get("/")
    assert catalog.status_code == 200 and b"Laptop replacement" in catalog.content
    assert b"Delivered" not in catalog.content and b"Who serves whom" not in catalog.content

    filed = as_requester.post(
        reverse("requests_app:service_detail", args=[laptop.pk]), {"title": "Broken screen", "f_asset_tag": "LT-1"}
    )
    assert filed.status_code == 302, filed.content
    service_request = ServiceRequest.objects.get()
    reference = service_request.reference

    answered = as_agent.post(reverse("requests_app:request_reply", args=[reference]), {"body": "Which model?"})
    assert answered.status_code == 302
    resolved = as_agent.post(
        reverse("requests_app:request_resolve", args=[reference]), {"resolution_note": "Replaced."}
    )
    assert resolved.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.RESOLVED

    page = as_requester.get(service_request.get_absolute_url())
    assert page.status_code == 200 and b"Replaced." in page.content
    assert b"Rating" not in page.content and b"Say thanks" not in page.content
    queue = as_agent.get(reverse("requests_app:queue", args=[it.slug]))
    assert queue.status_code == 200 and b"Thanks board" not in queue.content
    assert as_agent.get("/company/").status_code == 404

    sla_sweep()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert NotificationKind.FEEDBACK_REQUEST not in kinds, kinds
    subjects = [message.subject for message in mail.outbox]
    assert any(reference in subject for subject in subjects), subjects
    print("desk works")


if __name__ == "__main__":
    main()
