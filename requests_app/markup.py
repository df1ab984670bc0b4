"""User text as HTML: Markdown rendered, then sanitized by nh3, for pages, emails and form help texts alike.

Links are where sanitized text still does harm: a reply's "[Sign in again](//evil.example/x)" is a link to
another host sent from the desk's own address. So a link keeps its target only if it is an absolute
``http``, ``https`` or ``mailto`` URL, or stays within this site (a path or a relative reference, never
scheme-relative ``//host``); its target is judged as a browser reads it, after the browser's own clean-up
(spaces and controls around it dropped, tabs and line breaks inside it dropped, ``\\`` read as ``/``), so
``/\\host`` and ``/<tab>/host`` are ``//host`` too. A link that leaves the site carries
``rel="noopener noreferrer nofollow"``; a link within it carries no ``rel``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
OFF_SITE_REL = "noopener noreferrer nofollow"
SITE = "site"
OFF_SITE = "off-site"

_AROUND = "".join(chr(code) for code in range(0x21))  # C0 controls and space: browsers strip them around a URL
_INSIDE = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# nh3 writes every attribute as name="value" with ", < and > escaped, so a start tag ends at the first ">".
_ANCHOR = re.compile(r"<a(?=[ >])([^>]*)>")
_HREF = re.compile(r' href="([^"]*)"')


def _as_browser_reads(href: str) -> str:
    return _INSIDE.sub("", href.strip(_AROUND)).replace("\\", "/")


def link_kind(href: str, base_url: str = "") -> str | None:
    """``SITE`` for a link within this site (or within ``base_url``), ``OFF_SITE`` for an allowed absolute
    link elsewhere, None for a link that must lose its target (another scheme, or scheme-relative)."""
    url = _as_browser_reads(href)
    if base_url and (url == base_url or url.startswith(base_url + "/")):
        return SITE
    scheme = _SCHEME.match(url)
    if scheme:
        return OFF_SITE if scheme.group(1).lower() in ALLOWED_SCHEMES else None
    return None if url.startswith("//") else SITE


def _mark_off_site(base_url: str, anchor: re.Match[str]) -> str:
    href = _HREF.search(anchor.group(1))
    if href and link_kind(html.unescape(href.group(1)), base_url) == OFF_SITE:
        return f'<a{anchor.group(1)} rel="{OFF_SITE_REL}">'
    return anchor.group(0)


def render_markdown(text: str | None, base_url: str = "") -> SafeString:
    """User Markdown to HTML, through nh3 so no script, handler or foreign scheme survives, with links judged
    as the module says. ``base_url`` (emails: ``SITE_URL``): links within the site become absolute on it,
    since a mail client has no page to resolve them against."""
    rendered = md.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists", "nl2br"])

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute != "href":
            return value
        kind = link_kind(value)
        if kind == SITE and base_url:
            return urljoin(base_url + "/", _as_browser_reads(value))
        return value if kind else None

    clean = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes=ALLOWED_SCHEMES,
        attribute_filter=keep,
        link_rel=None,
    )
    marked = _ANCHOR.sub(lambda anchor: _mark_off_site(base_url, anchor), clean)
    return mark_safe(marked)  # noqa: S308 - sanitized by nh3 above; only rel="..." of our own was added


def render_help_text(text: str | None) -> SafeString:
    """A help text someone configured (a service's form field), as sanitized inline Markdown.

    crispy-forms prints help texts with ``|safe``, so one built from stored text must already be safe HTML;
    the paragraph around a one-paragraph text goes, so it reads as the line under its input.
    """
    rendered = render_markdown(text)
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return mark_safe(rendered[len("<p>") : -len("</p>")])  # noqa: S308 - sanitized, one paragraph tag less
    return rendered
