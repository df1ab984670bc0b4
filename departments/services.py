"""Writes to departments' configuration that are more than a form save.

House rule 1: admin actions call these instead of creating rows themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import holidays
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import get_language, to_locale

from . import config_version
from .models import AuditEntry, BusinessCalendar, Holiday, Profile

HOLIDAY_NAME_LENGTH = Holiday._meta.get_field("name").max_length


def public_holidays(*, country: str, subdiv: str | None, years: Iterable[int]) -> dict[date, str]:
    """Public holidays by date, named in the site's language where the package has it.

    The language is passed explicitly: left to itself, ``holidays`` picks it
    from the server process's locale, so the same import would name days
    differently on different hosts. Raises ``NotImplementedError`` for an
    unknown country or subdivision.
    """
    language = to_locale(get_language() or settings.LANGUAGE_CODE)
    found = holidays.country_holidays(country, subdiv=subdiv or None, years=list(years), language=language)
    return dict(found.items())


def calendar_import_holidays(
    *, calendar: BusinessCalendar, country: str, subdiv: str | None, years: Iterable[int]
) -> tuple[int, int]:
    """Add the public holidays of ``country`` (and ``subdiv``) in ``years`` to ``calendar``.

    Returns (imported, already there). Idempotent: a date the calendar already
    has is left alone, whatever its name, so a hand-edited holiday survives a
    re-import and a second run imports nothing. Two imports into the same
    calendar at once are serialised by locking the calendar row, so the counts
    stay exact; ``ignore_conflicts`` covers databases where that lock is a
    no-op (SQLite serialises writers anyway).

    Due times already stored on open requests are not recomputed here: they
    change when something happens to the request (see the SLA engine).
    """
    found = public_holidays(country=country, subdiv=subdiv, years=years)
    if not found:
        return 0, 0
    with transaction.atomic():
        list(BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).values_list("pk", flat=True))
        existing = set(
            Holiday.objects.filter(calendar=calendar, date__range=(min(found), max(found))).values_list(
                "date", flat=True
            )
        )
        new = [
            Holiday(calendar=calendar, date=day, name=name[:HOLIDAY_NAME_LENGTH])
            for day, name in sorted(found.items())
            if day not in existing
        ]
        Holiday.objects.bulk_create(new, ignore_conflicts=True)
        calendar_compile(calendar=calendar)
    return len(new), len(found) - len(new)


def calendar_compile(*, calendar: BusinessCalendar) -> BusinessCalendar:
    """Store the calendar's working week and holidays in ``compiled`` (see the model).

    Call after any change to its intervals or holidays, in the same transaction.
    """
    calendar = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(pk=calendar.pk)
    calendar.compiled = calendar.compile()
    BusinessCalendar.objects.filter(pk=calendar.pk).update(compiled=calendar.compiled)
    config_version.bump()  # an update() sends no signal; processes keep the compiled calendar
    return calendar


def audit_record(*, actor: Any, action: str, obj: Any, changes: dict[str, list[Any]]) -> AuditEntry:
    """Append an entry to the audit log (admin changes to SLA policies, calendars, services, memberships).

    The kind of thing and its name are stored in the source language (English), whatever the admin's
    language: the log is one record, filtered by ``model``, not a page in one reader's language.
    """
    with translation.override(None):
        model, shown = str(obj._meta.verbose_name), str(obj)[:200]
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        model=model,
        object_id=str(obj.pk),
        object_repr=shown,
        changes=changes,
    )


def profile_set_reading(*, user: Any, language: str, time_zone: str) -> Profile:
    """The language and time zone a person reads the desk in (blank: browser's language, site's zone).

    Validated like admin's form (``Profile.full_clean``): a language the site does not offer or a time
    zone that does not exist is refused with a ValidationError at its field, and nothing is saved.
    """
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    profile.language, profile.time_zone = language, time_zone
    profile.full_clean(exclude=["user"])
    if profile.pk:
        profile.save(update_fields=["language", "time_zone"])
    else:
        profile.save()
    return profile
