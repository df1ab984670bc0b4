"""Attachments are checked by what they contain, not what they are called, against an allow-list; they are
stored under random names outside the web root and served only as downloads to people who may see them."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from departments.models import FieldType
from requests_app import services
from requests_app.models import Attachment, ServiceRequest

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n"
FILING = {"title": "Screen flickers", "f_asset_tag": "LT-7", "f_reason": "Broken"}


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def file_with(client: Any, world: Any, upload: SimpleUploadedFile) -> Any:
    return client.post(reverse("requests_app:service_detail", args=[world.laptop.pk]), {**FILING, "f_photo": upload})


@pytest.mark.parametrize(
    ("name", "content", "stored_type"),
    [
        ("damage.png", PNG, "image/png"),
        ("invoice.pdf", PDF, "application/pdf"),
        ("notes.txt", "Grüße aus Köln\nline two\n".encode(), "text/plain"),
        ("numbers.csv", b"a,b\n1,2\n", "text/csv"),
        ("report.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_allowed_types_named_as_what_they_are_are_accepted_and_stored_with_the_sniffed_type(
    world, client_for, name, content, stored_type
):
    response = file_with(client_for(world.requester), world, SimpleUploadedFile(name, content, "application/x-lie"))

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == name
    assert attachment.content_type == stored_type  # not what the browser claimed
    assert name not in attachment.file.name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>", "an HTML page"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "an SVG image"),
        ("notes.txt", b"<html><body><script>alert(1)</script>", "an HTML page"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60, "a Windows program"),
        ("blob.bin", bytes(range(256)) * 4, "application/octet-stream"),
    ],
)
def test_types_off_the_allow_list_are_refused_at_the_field_naming_what_was_found(
    world, client_for, name, content, said
):
    response = file_with(client_for(world.requester), world, SimpleUploadedFile(name, content, "image/png"))

    assert response.status_code == 400
    error = response.context["form"].errors["f_photo"][0]
    assert name in error and said in error
    assert 'value="Screen flickers"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_a_file_whose_name_lies_about_its_content_is_refused(world, client_for):
    response = file_with(client_for(world.requester), world, SimpleUploadedFile("contract.pdf", PNG, "application/pdf"))

    assert response.status_code == 400
    error = response.context["form"].errors["f_photo"][0]
    assert "contains image/png but is named .pdf" in error
    assert not Attachment.objects.exists()


def test_the_allow_list_is_configurable(world, client_for, settings):
    settings.ATTACHMENT_ALLOWED_TYPES = ["application/pdf"]

    refused = file_with(client_for(world.requester), world, SimpleUploadedFile("damage.png", PNG))
    accepted = file_with(client_for(world.requester), world, SimpleUploadedFile("scan.pdf", PDF))

    assert (refused.status_code, accepted.status_code) == (400, 302)


def test_replies_check_attachments_the_same_way(world, client_for):
    client = client_for(world.requester)
    file_with(client, world, SimpleUploadedFile("damage.png", PNG))
    sr = ServiceRequest.objects.get()

    response = client.post(
        reverse("requests_app:request_reply", args=[sr.reference]),
        {"body": "See attached", "attachments": [SimpleUploadedFile("x.html", b"<html><script>1</script>")]},
    )

    assert response.status_code == 400
    assert sr.comments.count() == 0


def test_downloads_are_attachments_with_nosniff_and_another_persons_url_is_404(world, client_for):
    file_with(client_for(world.requester), world, SimpleUploadedFile("damage.png", PNG))
    attachment = Attachment.objects.get()
    url = reverse("requests_app:attachment_download", args=[attachment.pk])

    mine = client_for(world.requester).get(url)
    theirs = client_for(world.colleague).get(url)

    assert mine.status_code == 200
    assert mine["Content-Disposition"].startswith("attachment;")
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert mine["Content-Type"] == "application/octet-stream"
    assert b"".join(mine.streaming_content) == PNG
    assert theirs.status_code == 404


# --- floods: files per message, attachments per request, and the framework's own cap ------------------------


def laptop_request(world: Any) -> ServiceRequest:
    return factories.make_request(world.laptop, world.requester, asset_tag="LT-7", reason="Broken")


def pngs(count: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"shot{n}.png", PNG, "image/png") for n in range(count)]


def reply(client: Any, sr: ServiceRequest, body: str, files: list[SimpleUploadedFile], **extra: str) -> Any:
    url = reverse("requests_app:request_reply", args=[sr.reference])
    return client.post(url, {"body": body, "attachments": files, **extra})


def api_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def file_by_api(client: APIClient, world: Any, **files: SimpleUploadedFile) -> Any:
    payload: dict[str, Any] = {
        "service": world.laptop.pk,
        "title": "Screen flickers",
        "values": json.dumps({"asset_tag": "LT-7", "reason": "Broken"}),
    }
    payload.update({f"files.{name}": upload for name, upload in files.items()})
    return client.post(reverse("api:requests"), payload, format="multipart")


@pytest.mark.parametrize(("persona", "extra"), [("requester", {}), ("agent", {"internal": "on"})])
def test_a_message_with_more_files_than_allowed_is_refused_at_the_field_and_keeps_the_text(
    world, client_for, settings, persona, extra
):
    settings.ATTACHMENT_MAX_FILES = 2
    sr = laptop_request(world)

    response = reply(client_for(getattr(world, persona)), sr, "Three screenshots, typed with care", pngs(3), **extra)

    assert response.status_code == 400
    assert "at most 2 files" in response.context["reply_form"].errors["attachments"][0]
    assert "Three screenshots, typed with care</textarea>" in response.content.decode()
    assert not sr.comments.exists()
    assert not Attachment.objects.exists()


def test_a_message_with_as_many_files_as_allowed_is_accepted(world, client_for, settings):
    settings.ATTACHMENT_MAX_FILES = 2
    sr = laptop_request(world)

    response = reply(client_for(world.requester), sr, "Two screenshots", pngs(2))

    assert response.status_code == 302
    assert Attachment.objects.filter(request=sr).count() == 2


def test_files_past_the_request_total_are_refused_at_the_field_and_keep_the_text(world, client_for, settings):
    settings.ATTACHMENT_MAX_TOTAL_BYTES = 3 * len(PNG)
    sr = laptop_request(world)
    client = client_for(world.requester)
    reply(client, sr, "Two first", pngs(2))

    refused = reply(client, sr, "Two more, typed with care", pngs(2))
    last_one = reply(client, sr, "One more", pngs(1))

    assert refused.status_code == 400
    error = refused.context["reply_form"].errors["attachments"][0]
    assert "at most 144\xa0bytes" in error and "already holds 96\xa0bytes" in error
    assert "Two more, typed with care</textarea>" in refused.content.decode()
    assert last_one.status_code == 302
    assert Attachment.objects.filter(request=sr).count() == 3


def test_filing_with_more_files_than_allowed_is_refused_and_keeps_what_was_typed(world, client_for, settings):
    settings.ATTACHMENT_MAX_FILES = 1
    factories.add_field(world.laptop, "receipt", FieldType.FILE)
    photo, receipt = pngs(2)

    response = client_for(world.requester).post(
        reverse("requests_app:service_detail", args=[world.laptop.pk]),
        {**FILING, "title": "Typed with care", "f_photo": photo, "f_receipt": receipt},
    )

    assert response.status_code == 400
    assert "at most 1 file" in response.context["form"].non_field_errors()[0]
    assert 'value="Typed with care"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_filing_files_past_the_request_total_is_refused_and_keeps_what_was_typed(world, client_for, settings):
    settings.ATTACHMENT_MAX_TOTAL_BYTES = len(PNG) - 1

    response = file_with(client_for(world.requester), world, pngs(1)[0])

    assert response.status_code == 400
    assert "at most 47\xa0bytes" in response.context["form"].non_field_errors()[0]
    assert 'value="Screen flickers"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_api_filing_with_more_files_than_allowed_is_a_400_naming_files(world, settings):
    settings.ATTACHMENT_MAX_FILES = 1
    factories.add_field(world.laptop, "receipt", FieldType.FILE)
    photo, receipt = pngs(2)

    response = file_by_api(api_client(world.requester), world, photo=photo, receipt=receipt)

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["files"]
    assert "at most 1 file" in response.json()["errors"]["files"][0]
    assert not ServiceRequest.objects.exists()


def test_api_filing_files_past_the_request_total_is_a_400_naming_files(world, settings):
    settings.ATTACHMENT_MAX_TOTAL_BYTES = len(PNG) - 1

    response = file_by_api(api_client(world.requester), world, photo=pngs(1)[0])

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["files"]
    assert not ServiceRequest.objects.exists()


def test_django_accepts_as_many_files_in_one_post_as_a_message_may_carry(settings):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == settings.ATTACHMENT_MAX_FILES == 10


@pytest.mark.parametrize("count", [11, 1000])
def test_a_post_with_more_files_than_django_accepts_is_a_400_not_a_500(world, client_for, count):
    sr = laptop_request(world)

    response = reply(client_for(world.requester), sr, "A flood", pngs(count))

    assert response.status_code == 400
    assert not sr.comments.exists()


@pytest.mark.parametrize("count", [11, 1000])
def test_an_api_post_with_more_files_than_django_accepts_is_a_400_naming_files(world, count):
    files = {f"extra{n}": upload for n, upload in enumerate(pngs(count))}

    response = file_by_api(api_client(world.requester), world, **files)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["files"]
    assert "at most 10 files" in response.json()["errors"]["files"][0]
    assert not ServiceRequest.objects.exists()


def test_the_request_total_costs_one_aggregate_query_and_only_when_files_are_posted(world):
    sr = laptop_request(world)
    files = [("", upload) for upload in pngs(2)]

    with CaptureQueriesContext(connection) as with_files:
        services.attachments_check(service_request=sr, files=files, field="attachments")
    with CaptureQueriesContext(connection) as without_files:
        services.attachments_check(service_request=sr, files=[], field="attachments")
    with CaptureQueriesContext(connection) as filing:
        services.attachments_check(service_request=None, files=files, field="files")

    assert len(with_files) == 1
    assert "SUM(" in with_files[0]["sql"].upper()
    assert (len(without_files), len(filing)) == (0, 0)


def test_the_reply_form_tells_the_browser_how_many_files_one_message_may_carry(world, client_for, settings):
    settings.ATTACHMENT_MAX_FILES = 4
    sr = laptop_request(world)

    page = client_for(world.requester).get(sr.get_absolute_url()).content.decode()

    assert 'data-max-files="4"' in page
    assert "up to 4 files" in page
