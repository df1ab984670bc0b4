"""An internal note belongs to the department that wrote it: a transfer takes it along only when the
transferring agent shares it, and the same rule holds on the page, in the API, for files and in history."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from requests_app import services
from requests_app.models import Attachment, Comment, EventKind, Handoff, RequestEvent, ServiceRequest

from .. import factories
from .triage_helpers import reload

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n"
SECRET = "HR-only: disciplinary case"


def hr_request_with_a_note(world: Any) -> tuple[ServiceRequest, Attachment]:
    """Filed in HR; the HR agent writes an internal note with a file and a public reply."""
    sr = factories.make_request(world.certificate, world.requester, "Certificate for the bank")
    services.comment_add(
        service_request=sr,
        author=world.other_agent,
        body=SECRET,
        internal=True,
        files=[("", SimpleUploadedFile("case.pdf", PDF, "application/pdf"))],
    )
    services.comment_add(service_request=sr, author=world.other_agent, body="We are on it.")
    return reload(sr), Attachment.objects.get(request=sr, comment__internal=True)


def transfer_to_it(client: Any, sr: ServiceRequest, world: Any, **extra: Any) -> Any:
    data = {"to_service": world.laptop.pk, "reason": "This is an IT question", **extra}
    return client.post(reverse("requests_app:request_transfer", args=[sr.reference]), data)


def api_detail(user: Any, sr: ServiceRequest) -> dict[str, Any]:
    client = APIClient()
    client.force_login(user)
    response = client.get(reverse("api:request", kwargs={"reference": sr.reference}))
    assert response.status_code == 200
    return response.json()


def page(client_for: Any, user: Any, sr: ServiceRequest) -> str:
    response = client_for(user).get(sr.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_an_internal_note_is_stored_with_the_department_that_wrote_it(world):
    sr, _ = hr_request_with_a_note(world)

    note = Comment.objects.get(request=sr, internal=True)
    reply = Comment.objects.get(request=sr, internal=False)

    assert (note.department, reply.department) == (world.hr, None)


def test_the_receiving_department_does_not_read_notes_that_were_not_shared(world, client_for):
    sr, attachment = hr_request_with_a_note(world)

    assert transfer_to_it(client_for(world.other_agent), sr, world).status_code == 302

    assert SECRET not in page(client_for, world.agent, sr)
    assert "We are on it." in page(client_for, world.agent, sr)
    comments = api_detail(world.agent, sr)["comments"]
    assert [c["body"] for c in comments] == ["We are on it."]
    assert client_for(world.agent).get(attachment.get_absolute_url()).status_code == 404


def test_an_earlier_departments_internal_events_stay_out_of_the_receiving_history(world, client_for):
    sr, _ = hr_request_with_a_note(world)
    transfer_to_it(client_for(world.other_agent), sr, world)

    kinds = [event["kind"] for event in api_detail(world.agent, sr)["history"]]

    assert EventKind.NOTE not in kinds
    assert EventKind.TRANSFERRED in kinds
    assert RequestEvent.objects.filter(request=sr, kind=EventKind.NOTE).count() == 1


def test_shared_notes_and_their_files_follow_the_transfer(world, client_for):
    sr, attachment = hr_request_with_a_note(world)

    assert transfer_to_it(client_for(world.other_agent), sr, world, share_internal_notes="on").status_code == 302

    html = page(client_for, world.agent, sr)
    assert SECRET in html
    assert "shared by HR" in html
    notes = [c for c in api_detail(world.agent, sr)["comments"] if c["internal"]]
    assert [(c["body"], c["department"]) for c in notes] == [(SECRET, "hr")]
    assert client_for(world.agent).get(attachment.get_absolute_url()).status_code == 200


def test_the_requester_never_reads_a_shared_note(world, client_for):
    sr, attachment = hr_request_with_a_note(world)
    transfer_to_it(client_for(world.other_agent), sr, world, share_internal_notes="on")

    assert SECRET not in page(client_for, world.requester, sr)
    assert [c["internal"] for c in api_detail(world.requester, sr)["comments"]] == [False]
    assert client_for(world.requester).get(attachment.get_absolute_url()).status_code == 404


def test_the_previous_department_no_longer_sees_the_request_or_its_files(world, client_for):
    sr, attachment = hr_request_with_a_note(world)
    transfer_to_it(client_for(world.other_agent), sr, world, share_internal_notes="on")

    hr = client_for(world.other_agent)

    assert hr.get(sr.get_absolute_url()).status_code == 404
    assert hr.get(attachment.get_absolute_url()).status_code == 404


def test_a_department_reads_its_own_notes_again_when_the_request_comes_back(world, client_for):
    sr, _ = hr_request_with_a_note(world)
    transfer_to_it(client_for(world.other_agent), sr, world)
    services.comment_add(service_request=reload(sr), author=world.agent, body="IT-only: asset flagged", internal=True)

    services.request_transfer(
        service_request=reload(sr), to_service=world.certificate, by=world.agent, reason="Back to HR after all"
    )

    html = page(client_for, world.other_agent, sr)
    assert SECRET in html
    assert "IT-only: asset flagged" not in html


def test_sharing_passes_on_what_was_shared_before(world, client_for):
    sr, _ = hr_request_with_a_note(world)
    transfer_to_it(client_for(world.other_agent), sr, world, share_internal_notes="on")
    finance = factories.make_department("Finance", "FIN", default_sla_policy=world.it.default_sla_policy)
    invoices = factories.make_service(finance, "Invoice question")
    accountant = factories.make_user("accountant")
    factories.add_member(accountant, finance)

    services.request_transfer(
        service_request=reload(sr), to_service=invoices, by=world.agent, reason="Money", share_internal_notes=True
    )

    assert SECRET in page(client_for, accountant, sr)


def test_the_transfer_form_says_what_stays_behind_and_shares_nothing_by_default(world, client_for):
    sr, _ = hr_request_with_a_note(world)
    url = reverse("requests_app:request_transfer", args=[sr.reference])

    html = client_for(world.other_agent).get(url).content.decode()

    assert "1 internal note your department reads (1 files attached)" in html
    assert 'name="share_internal_notes"' in html
    assert 'name="share_internal_notes" checked' not in html


def test_the_transfer_form_offers_no_sharing_when_there_is_nothing_to_share(world, client_for):
    sr = factories.make_request(world.certificate, world.requester, "Certificate")

    html = client_for(world.other_agent).get(reverse("requests_app:request_transfer", args=[sr.reference])).content

    assert b'name="share_internal_notes"' not in html
    assert b"nothing stays behind" in html


def test_existing_notes_are_given_the_department_that_held_the_request_when_they_were_written(world):
    """The migration's backfill reads the handoff ledger."""
    sr, _ = hr_request_with_a_note(world)
    services.request_transfer(service_request=sr, to_service=world.laptop, by=world.other_agent, reason="IT's")
    services.comment_add(service_request=reload(sr), author=world.agent, body="IT note", internal=True)
    Comment.objects.update(department=None)
    assert Handoff.objects.filter(request=sr).count() == 2

    migration = importlib.import_module("requests_app.migrations.0013_note_departments_and_token_scope")
    migration.internal_notes_to_their_department(apps, None)

    departments = dict(Comment.objects.filter(internal=True).values_list("body", "department__slug"))
    assert departments == {SECRET: "hr", "IT note": "it"}
