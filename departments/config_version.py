"""A version stamp of the catalog's configuration, so a web process may keep what filing and the queue read.

Filing reads a service with its fields, department, calendars, SLA policies, targets and reminder
rules: six tables, the costliest part of a filing (the ORM's work, not PostgreSQL's). That
configuration changes a few times a day, in admin, so processes keep it (``requests_app.selectors.
catalog.filing_configuration``) under the stamp kept here in the shared cache (Redis in production,
so every process on every machine sees one stamp); the queue page keeps its department's services and
calendars the same way (``kept``). Any save or delete of a watched model replaces the
stamp, at once and again after the transaction commits (a process that read the old rows while the
change was being committed must not keep them under the new stamp). Changes that bypass the models'
signals (``QuerySet.update``, ``bulk_create``) call ``bump()`` themselves. With the cache unreachable
there is no stamp and nothing is kept.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

KEY = "catalog-config-version"
KEEP_SECONDS = 60.0  # the longest a kept value lives even if a stamp change was missed
KEEP_MAX = 1_000
# Kept per process: key -> (stamp, when read, value). Shared by the threads of a process: readers never change
# a kept value, they may only fill in what it reads on first use (an SLAConfig's targets, say).
_KEPT: dict[Hashable, tuple[str, float, Any]] = {}
T = TypeVar("T")


def current() -> str | None:
    """The stamp, created on first use; None when the cache cannot be reached."""
    try:
        version = cache.get(KEY)
        if version is None:
            cache.add(KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(KEY)
        return version
    except Exception:  # noqa: BLE001 - the cache is down: keep nothing, read everything fresh
        logger.warning("Configuration stamp unreadable; filing reads its configuration fresh")
        return None


def kept(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, kept in this process under ``key`` while the stamp is unchanged (at most
    ``KEEP_SECONDS``, in case a change went around the stamp); read fresh every time without a stamp.

    Only for values built from the watched models (see ``watch``) and never changed by their readers
    (filled in on first use at most, as ``SLAConfig`` reads its targets).
    """
    version = current()
    now = time.monotonic()
    if version is not None:
        found = _KEPT.get(key)
        if found is not None and found[0] == version and now - found[1] < KEEP_SECONDS:
            return found[2]
    value = load()
    if version is not None:
        if len(_KEPT) >= KEEP_MAX:
            _KEPT.clear()
        _KEPT[key] = (version, now, value)
    return value


def _replace() -> None:
    try:
        cache.set(KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001 - kept copies still expire (see filing_configuration)
        logger.warning("Configuration stamp not replaced; kept configurations expire on their own")


def bump() -> None:
    """Invalidate every process's kept configuration: now, and once more when the transaction commits
    (a process that read the old rows between the two would otherwise keep them). One stamp write per
    saved row and one more at commit: an admin page saving twenty rows writes forty, a few ms, and
    Django offers no public way to register a commit callback only once per transaction."""
    _replace()
    transaction.on_commit(_replace)


def _on_change(sender: Any, **kwargs: Any) -> None:
    bump()


def watch() -> None:
    """Connect the signals of every model filing reads (called from ``DepartmentsConfig.ready``)."""
    from .models import (
        BusinessCalendar,
        Department,
        Holiday,
        ReminderRule,
        Service,
        ServiceField,
        SLAPolicy,
        SLATarget,
        WorkingInterval,
    )

    for model in (
        Department,
        Service,
        ServiceField,
        SLAPolicy,
        SLATarget,
        BusinessCalendar,
        WorkingInterval,
        Holiday,
        ReminderRule,
    ):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"config-version-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"config-version-delete-{model.__name__}")
