"""Links in user Markdown: only http, https and mailto links, and links within this site, survive; a link
that leaves the site says so (``rel="noopener noreferrer nofollow"``). The same rendering serves pages and
the HTML emails the desk sends from its own address, where links within the site point to ``SITE_URL``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail

from requests_app import services
from requests_app.markup import render_markdown

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

OFF_SITE = "noopener noreferrer nofollow"


class Anchors(HTMLParser):
    """Every ``<a>`` of a piece of HTML, as a browser's parser sees its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append(dict(attrs))


def anchors(html: str) -> list[dict[str, str | None]]:
    parser = Anchors()
    parser.feed(html)
    return parser.found


REFUSED = {
    "scheme-relative Markdown": "[Sign in again](//evil.example/x)",
    "scheme-relative HTML": '<a href="//evil.example">Sign in again</a>',
    "backslashes": r'<a href="\\evil.example">x</a>',
    "slash and backslash": r"[x](/\evil.example)",
    "slash and backslash in HTML": '<a href="/\\evil.example">x</a>',
    "slash, encoded backslash": '<a href="/&#92;evil.example">x</a>',
    "slash, tab, slash": '<a href="/&#9;/evil.example">x</a>',
    "leading space": '<a href=" //evil.example">x</a>',
    "javascript Markdown": "[x](javascript:alert(1))",
    "javascript HTML, mixed case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "javascript with a tab": '<a href="java&#9;script:alert(1)">x</a>',
    "data URL": '<a href="data:text/html,hi">x</a>',
    "ftp": "[x](ftp://evil.example/)",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_links_that_leave_through_a_trick_or_run_code_lose_their_target(text):
    html = render_markdown(text)

    assert [a.get("href") for a in anchors(html)] == [None]
    assert "evil.example" not in "".join(str(a.get("href")) for a in anchors(html))


@pytest.mark.parametrize(
    "text, href",
    [
        ("[x](https://evil.example)", "https://evil.example"),
        ("<https://evil.example/page?a=1&b=2>", "https://evil.example/page?a=1&b=2"),
        ('<a href="http://evil.example" rel="opener">x</a>', "http://evil.example"),
        ("[mail us](mailto:desk@example.com)", "mailto:desk@example.com"),
    ],
)
def test_off_site_links_are_kept_and_marked(text, href):
    [anchor] = anchors(render_markdown(text))

    assert anchor == {"href": href, "rel": OFF_SITE}


@pytest.mark.parametrize(
    "text, href",
    [
        ("[the request](/requests/1/)", "/requests/1/"),
        ("[relative](history/)", "history/"),
        ("[above](#comment-3)", "#comment-3"),
        ('<a href="/requests/1/" rel="nofollow" title="IT-1">x</a>', "/requests/1/"),
    ],
)
def test_links_within_the_site_are_kept_without_nofollow(text, href):
    [anchor] = anchors(render_markdown(text))

    assert anchor["href"] == href
    assert "rel" not in anchor


def test_a_title_cannot_smuggle_attributes():
    [anchor] = anchors(render_markdown('<a title="a > b" href="https://evil.example">x</a>'))

    assert anchor == {"title": "a > b", "href": "https://evil.example", "rel": OFF_SITE}


def test_emails_point_links_within_the_site_to_it():
    text = "[r](/requests/1/) [x](//evil.example/x) [e](https://evil.example)"

    html = render_markdown(text, base_url="https://desk.example")

    assert [(a.get("href"), a.get("rel")) for a in anchors(html)] == [
        ("https://desk.example/requests/1/", None),
        (None, None),
        ("https://evil.example", OFF_SITE),
    ]


def test_the_request_page_drops_a_scheme_relative_link_in_a_reply(world, client_for):
    sr = factories.make_request(world.laptop, world.requester, asset_tag="A", reason="Slow")
    services.comment_add(service_request=sr, author=world.agent, body="[Sign in again](//evil.example/x)")

    page = client_for(world.requester).get(sr.get_absolute_url()).content.decode()

    assert "Sign in again" in page
    assert not re.search(r"href=\"\s*//evil", page)


def test_the_reply_email_drops_a_scheme_relative_link(world, settings, django_capture_on_commit_callbacks: Any):
    settings.SITE_URL = "https://desk.example"
    sr = factories.make_request(world.laptop, world.requester, asset_tag="A", reason="Slow")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            service_request=sr, author=world.agent, body="[Sign in again](//evil.example/x) or [here](/my/requests/)"
        )

    [message] = mail.outbox
    [(html, _)] = message.alternatives
    found = [(a.get("href"), a.get("rel")) for a in anchors(html) if a.get("href") != "https://desk.example"]
    assert (None, None) in found
    assert ("https://desk.example/my/requests/", None) in found
    assert "//evil.example" not in html


# --- help texts of a service's form fields (crispy-forms prints help texts unescaped) --------------------


def test_a_field_help_text_runs_no_script_on_the_service_page(world, client_for):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)> [see](//evil.example) **Bold**"
    world.laptop.fields.filter(name="asset_tag").update(help_text=hostile)

    page = client_for(world.requester).get(world.laptop.get_absolute_url()).content.decode()

    help_text = re.search(r'id="id_f_asset_tag_helptext"[^>]*>(.*?)</div>', page, re.S)
    assert help_text, "the help text is on the page"
    assert "<script>alert(1)" not in page
    assert "onerror" not in page
    assert "<img" not in help_text.group(1)
    assert "<strong>Bold</strong>" in help_text.group(1)
    assert [a.get("href") for a in anchors(help_text.group(1))] == [None]


def test_a_plain_help_text_reads_as_typed(world, client_for):
    world.laptop.fields.filter(name="asset_tag").update(help_text="The sticker on the bottom, e.g. LT-20417 & co.")

    page = client_for(world.requester).get(world.laptop.get_absolute_url()).content.decode()

    assert 'class="form-text">The sticker on the bottom, e.g. LT-20417 &amp; co.</div>' in page
