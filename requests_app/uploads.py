"""What an attachment really is: its type read from its content, checked against an allow-list.

The name a browser sends is a claim, not a fact: a file is accepted when the type sniffed from its first
bytes is on the allow-list (``ATTACHMENT_ALLOWED_TYPES``) and its extension is one that type goes by.
Text has no magic number, so a file counts as text only when it decodes as UTF-8 without control bytes
and is named like text (.txt, .csv, .log, .md). Everything else, SVG and HTML included (both can carry
scripts), is refused with a message that names what the file was found to be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

SNIFF_BYTES = 8192
# The extensions each type may have; a type missing here cannot be allowed (it has no safe name).
EXTENSIONS: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({".pdf"}),
    "image/png": frozenset({".png"}),
    "image/jpeg": frozenset({".jpg", ".jpeg"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "image/heic": frozenset({".heic"}),
    "text/plain": frozenset({".txt", ".log", ".md"}),
    "text/csv": frozenset({".csv"}),
    "application/zip": frozenset({".zip"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset({".docx"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset({".xlsx"}),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": frozenset({".pptx"}),
    "application/vnd.oasis.opendocument.text": frozenset({".odt"}),
    "application/vnd.oasis.opendocument.spreadsheet": frozenset({".ods"}),
    "application/vnd.oasis.opendocument.presentation": frozenset({".odp"}),
    "application/msword": frozenset({".doc"}),
    "application/vnd.ms-excel": frozenset({".xls"}),
    "message/rfc822": frozenset({".eml"}),
}
TEXT_TYPES = {
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".md": "text/plain",
    ".eml": "message/rfc822",
}
# Office documents are zip files: a .docx sniffed as a plain zip is still a .docx.
ZIP_BASED = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
# What a refused type is called in the refusal ("“x.pdf” is an HTML page, which ..."); other types by their name.
DESCRIPTIONS = {
    "text/html": _("an HTML page"),
    "image/svg+xml": _("an SVG image"),
    "application/x-msdownload": _("a Windows program"),
    "application/x-executable": _("a program"),
}


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sniffed window may end in the middle of a character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html", "<svg", "<?xml")) or "<script" in lowered:
        return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


def sniff(upload: UploadedFile) -> Sniffed:
    """The type read from the content and the extension of the file's name (lower-case, with the dot)."""
    extension = PurePath(upload.name or "").suffix.lower()
    head = _head(upload)
    kind = filetype.guess(head)
    if kind is not None:
        mime = kind.mime
        if mime == "application/zip" and extension in ZIP_BASED:
            mime = ZIP_BASED[extension]
        return Sniffed(mime, extension)
    lowered = head.lstrip()[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return Sniffed("text/html", extension)
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in head.lower()):
        return Sniffed("image/svg+xml", extension)
    if head and _looks_like_text(head):
        return Sniffed(TEXT_TYPES.get(extension, "text/plain"), extension)
    return Sniffed("application/octet-stream", extension)


def allowed_types() -> set[str]:
    return {t.strip() for t in settings.ATTACHMENT_ALLOWED_TYPES if t.strip()}


def validate_attachment(upload: UploadedFile) -> str:
    """Raise ``ValidationError`` unless the file is of an allowed type named as such; return its type."""
    found = sniff(upload)
    described = DESCRIPTIONS.get(found.content_type, found.content_type)
    if found.content_type not in allowed_types():
        raise ValidationError(
            # Translators: %(kind)s is "an HTML page", "an SVG image"... or a media type ("application/x-dosexec").
            gettext(
                "“%(name)s” is %(kind)s, which cannot be attached here. "
                "Attach PDFs, images, office documents, text or zip files."
            )
            % {"name": upload.name, "kind": described}
        )
    if found.extension not in EXTENSIONS.get(found.content_type, frozenset()):
        expected = ", ".join(sorted(EXTENSIONS.get(found.content_type, ())))
        values = {"name": upload.name, "kind": described, "extension": found.extension, "expected": expected}
        if not found.extension:
            raise ValidationError(
                # Translators: %(kind)s is what the file was found to be; %(expected)s the extensions it may have.
                gettext(
                    "“%(name)s” contains %(kind)s but is named without an extension; "
                    "rename it (%(expected)s) or attach the right file."
                )
                % values
            )
        raise ValidationError(
            # Translators: %(extension)s is the file's extension (".png"); %(expected)s the right ones (".jpeg, .jpg").
            gettext(
                "“%(name)s” contains %(kind)s but is named %(extension)s; "
                "rename it (%(expected)s) or attach the right file."
            )
            % values
        )
    return found.content_type


def too_many_files(most: int) -> str:
    """The refusal of more files than one message or filing may carry (``ATTACHMENT_MAX_FILES``), in one
    wording wherever it is made: the service's check, the API's answer to a post Django stopped reading,
    and the browser's check before sending."""
    return ngettext("Attach at most %(most)s file at a time.", "Attach at most %(most)s files at a time.", most) % {
        "most": most
    }
