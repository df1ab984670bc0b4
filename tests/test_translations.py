"""The translations stay complete and current: the catalogues hold exactly what the code marks, German is
translated in full, the compiled files match their sources, and a German page shows no English that the
catalogue knows (a string someone forgot to mark shows up as English in a German page too)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any
from zoneinfo import ZoneInfo

import polib
import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from departments.models import Profile
from requests_app import services
from requests_app.emails import clock_words
from requests_app.feedback import services as feedback_services

from . import factories
from .conftest import login

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
LANGUAGES = ("de", "pt_BR")
COMPILED = ("de", "pt_BR")
# What makemessages extracts (README: "Translations"): code and templates, without source locations.
MAKEMESSAGES = ["manage.py", "makemessages", "--no-location", "--no-obsolete", "--ignore=.venv/*", "--ignore=bench/*"]


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def keys(po: polib.POFile) -> set[tuple[str, str, str]]:
    return {(entry.msgctxt or "", entry.msgid, entry.msgid_plural or "") for entry in po if not entry.obsolete}


def test_the_catalogues_hold_exactly_the_marked_strings(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext is missing (Debian's gettext); .ci/run installs it")
        pytest.skip("xgettext (Debian's gettext) is not installed")
    copy = tmp_path / "checkout"
    ignore = shutil.ignore_patterns(".venv", ".git", "var", "staticfiles", "__pycache__", "*.mo", ".*cache*")
    shutil.copytree(ROOT, copy, ignore=ignore)
    result = subprocess.run(
        [sys.executable, *MAKEMESSAGES, *(f"--locale={language}" for language in LANGUAGES)],
        cwd=copy,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for language in LANGUAGES:
        fresh = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        committed = catalogue(language)
        assert keys(fresh) - keys(committed) == set(), f"{language}: marked but not in the catalogue"
        assert keys(committed) - keys(fresh) == set(), f"{language}: in the catalogue but no longer marked"


def test_german_is_translated_in_full() -> None:
    german = catalogue("de")
    assert [entry.msgid for entry in german.untranslated_entries()] == []
    assert [entry.msgid for entry in german.fuzzy_entries()] == []


@pytest.mark.parametrize("language", COMPILED)
def test_the_compiled_catalogues_match_their_sources(language: str) -> None:
    source = catalogue(language)
    compiled = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    translated = {(e.msgctxt or "", e.msgid): (e.msgstr, e.msgstr_plural) for e in source.translated_entries()}
    shipped = {(e.msgctxt or "", e.msgid): (e.msgstr, e.msgstr_plural) for e in compiled if e.msgid}
    assert shipped == translated


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{[^}]*\}|%[sd]")


@functools.cache
def english_giveaways() -> list[str]:
    """Source strings whose German differs: any of them in a German page was left in English."""
    found = []
    for entry in catalogue("de").translated_entries():
        if entry.msgid_plural or entry.msgstr.strip() == entry.msgid.strip():
            continue
        for piece in PLACEHOLDER.split(entry.msgid):
            piece = piece.strip(" .,:;()")
            if len(piece) >= 12 and " " in piece and "<" not in piece and piece not in entry.msgstr:
                found.append(piece)
    return found


def untranslated_on(page: str, giveaways: list[str]) -> list[str]:
    return sorted({text for text in giveaways if text in page})


# --- people read in their own language and time zone ------------------------------------------------

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday; Berlin is UTC+1, São Paulo UTC-3


def reads(user: Any, language: str, zone: str = "") -> Any:
    Profile.objects.update_or_create(user=user, defaults={"language": language, "time_zone": zone})
    return user


def german(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


@pytest.fixture
def resolved(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """A request of the (German) requester, answered and resolved by the (English) agent."""
    reads(world.requester, "de", "Europe/Berlin")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        service_request = factories.make_request(world.laptop, world.requester, asset_tag="LT-1", reason="Slow")
        services.comment_add(service_request=service_request, author=world.agent, body="Which model is it?")
        services.request_resolve(service_request=service_request, by=world.agent, resolution_note="Replaced.")
    return service_request


def test_a_german_requester_reads_german_while_the_agent_reads_english(world: Any, resolved: Any) -> None:
    assert german("My requests") != "My requests"
    with time_machine.travel(NOW, tick=False):
        requester_page = login(world.requester).get(resolved.get_absolute_url()).content.decode()
        agent_page = login(world.agent).get(resolved.get_absolute_url()).content.decode()

    assert german("My requests") in requester_page and 'lang="de"' in requester_page
    assert "My requests" in agent_page and german("My requests") not in agent_page


def test_emails_reach_each_reader_in_their_language(world: Any, resolved: Any) -> None:
    filed = next(m for m in mail.outbox if world.agent.email in m.to)
    resolution = next(m for m in mail.outbox if world.requester.email in m.to and "Replaced." in m.body)
    giveaways = english_giveaways()

    assert untranslated_on(resolution.subject + resolution.body + resolution.alternatives[0][0], giveaways) == []
    assert untranslated_on(filed.subject + filed.body, giveaways) != []  # the agent reads English


class Person:
    def __init__(self, full_name: str, username: str) -> None:
        self.full_name, self.username, self.email = full_name, username, f"{username}@example.com"

    def get_full_name(self) -> str:
        return self.full_name

    def get_username(self) -> str:
        return self.username


def email_context() -> dict[str, Any]:
    """Everything any email template reads, with every optional part present."""
    now = NOW
    lead = Person("Lea Lead", "lea")
    department = NS(name="IT", slug="it", reminder_rule=NS(auto_close_warning_days=2))
    service_request = NS(
        reference="IT-7",
        title="Broken screen",
        get_absolute_url=lambda: "/requests/IT-7/",
        get_priority_display=lambda: "High",
        requester=Person("Rita Requester", "rita"),
        department=department,
        service=NS(name="Laptop replacement"),
        assignee=Person("Agnes Agent", "agnes"),
        resolution_note="Replaced.",
        first_response_due_at=now,
        resolution_due_at=now,
    )
    criteria = NS(all=lambda: [1, 2, 3])
    period = NS(
        filed=3,
        first_response=NS(compliance=0.5, median=3600),
        resolution=NS(compliance=0.25, median=7200),
        satisfaction=NS(average=4.2, count=3),
    )
    return {
        "site_url": "https://desk.example",
        "sr": service_request,
        "reopen_days": 7,
        "rating_days": 14,
        "rating_links": [(score, f"/rate/{score}/") for score in range(5, 0, -1)],
        "comment": NS(author=Person("Al Author", "al"), body="Which model is it?"),
        "handoff": NS(by=lead, reason="Wrong queue"),
        "previous": NS(department=NS(name="HR")),
        "promise": NS(due_at=now, agent=lead),
        "notification": NS(threshold=75, clock="first_response"),
        "clock_label": clock_words("first_response"),
        "feedback": NS(rating=2, comment="Slow"),
        "follow_up": NS(action_taken="Called them", closed_by=lead),
        "kudos": NS(sender=Person("Sam Sender", "sam"), recipient=lead, message="Thanks!"),
        "action": NS(
            assessment=NS(title="Q1", department=department, pk=3),
            due_on=now.date(),
            description="Send updates",
            criterion=NS(label="Empathy"),
            owner=lead,
        ),
        "assessment": NS(department=department, closes_at=now, criteria=criteria, title="Q1"),
        "invitation": NS(group=NS(name="HR"), token="tok123"),
        "reminder": 1,
        "review": NS(department=department, month=now.date()),
        "figures": NS(
            current=NS(period=period, backlog=NS(total=4), kudos=2),
            previous=NS(period=period, backlog=NS(total=0), kudos=0),
            actions_open=[1],
            actions_done=[],
        ),
        "now": now,
    }


@pytest.mark.parametrize("name", sorted(path.name for path in (ROOT / "templates" / "emails").iterdir()))
def test_every_email_reads_german_for_a_german_reader(name: str) -> None:
    with translation.override("de"), timezone.override(ZoneInfo("Europe/Berlin")):
        rendered = render_to_string(f"emails/{name}", email_context())

    assert untranslated_on(rendered, english_giveaways()) == []


def test_german_pages_show_no_english_the_catalogue_knows(world: Any, resolved: Any) -> None:
    for person in (world.requester, world.agent, world.lead):
        reads(person, "de", "Europe/Berlin")
    feedback_services.feedback_give(service_request=resolved, by=world.requester, rating=2, comment="Slow")
    giveaways = english_giveaways()
    pages = {
        world.requester: [
            "/",
            reverse("requests_app:service_detail", args=[world.laptop.pk]),
            reverse("requests_app:my_requests"),
            resolved.get_absolute_url(),
            reverse("requests_app:profile"),
        ],
        world.agent: [resolved.get_absolute_url(), reverse("requests_app:queue", args=[world.it.slug])],
        world.lead: [
            reverse("requests_app:queue", args=[world.it.slug]),
            reverse("feedback:department_dashboard", args=[world.it.slug]),
            reverse("feedback:company"),
            reverse("feedback:assessment_list", args=[world.it.slug]),
            reverse("feedback:thanks_board", args=[world.it.slug]),
        ],
    }
    left = {}
    for person, urls in pages.items():
        client = login(person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            found = untranslated_on(response.content.decode(), giveaways)
            if found:
                left[f"{person.username} {url}"] = found
    assert left == {}


def test_german_plurals_follow_the_count() -> None:
    plural = next(
        entry
        for entry in catalogue("de")
        if entry.msgid_plural and set(re.findall(r"%\((\w+)\)", entry.msgid_plural)) == {"count"}
    )
    with translation.override("de"):
        one = ngettext(plural.msgid, plural.msgid_plural, 1) % {"count": 1}
        many = ngettext(plural.msgid, plural.msgid_plural, 3) % {"count": 3}

    assert one == plural.msgstr_plural[0] % {"count": 1}
    assert many == plural.msgstr_plural[1] % {"count": 3}
    assert one.replace("1", "") != many.replace("3", "")


def test_numbers_and_history_notes_follow_the_reader() -> None:
    from requests_app.feedback.templatetags.feedback import percent, rating
    from requests_app.templatetags.servicedesk import event_value

    with translation.override("en"):
        assert (percent(71.43), rating(4.333)) == ("71.4%", "4.3 / 5")
        assert event_value("75% of the first response target used") == "75% of the first response target used"
    with translation.override("de"):
        assert (percent(71.43), rating(4.333)) == ("71,4 %", "4,3 von 5")
        assert event_value("75% of the first response target used") == "75 % der Zeit für erste Antwort verbraucht"
        assert event_value("resolution target missed") == "Ziel für Lösung verfehlt"
        assert event_value("open") == "offen"
