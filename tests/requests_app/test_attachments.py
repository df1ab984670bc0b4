"""Attachments are checked by what they contain, not what they are called, against an allow-list; they are
stored under random names outside the web root and served only as downloads to people who may see them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app.models import Attachment, ServiceRequest

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
