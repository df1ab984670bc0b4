from django.core import mail
from django.urls import reverse

from requests_app.models import ServiceRequest


def test_employee_files_a_request_and_agent_resolves_it(world, client_for, django_capture_on_commit_callbacks):
    employee = client_for(world.requester)
    with django_capture_on_commit_callbacks(execute=True):
        response = employee.post(
            reverse("requests_app:service_detail", args=[world.laptop.pk]),
            {"title": "Screen broken", "f_asset_tag": "A-1", "f_reason": "Broken"},
        )
    assert response.status_code == 302
    sr = ServiceRequest.objects.get()
    assert sr.reference == "IT-1001"
    assert len(mail.outbox) == 1
    page = employee.get(reverse("requests_app:my_requests"))
    assert b"IT-1001" in page.content
    agent = client_for(world.agent)
    assert agent.get(sr.get_absolute_url()).status_code == 200
    assert agent.get(reverse("requests_app:queue", args=["it"])).status_code == 200
    assert (
        agent.post(
            reverse("requests_app:request_resolve", args=[sr.reference]), {"resolution_note": "Done"}
        ).status_code
        == 302
    )
    sr.refresh_from_db()
    assert sr.status == "resolved"
    assert employee.get(reverse("requests_app:catalog")).status_code == 200
