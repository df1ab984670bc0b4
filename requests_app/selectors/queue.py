"""Reads for the department queue: filters, sorts, keyset pages, saved views with live counts.

Every filter is a ``Q`` on the requests table (or its search document), so the same filters serve the
queue page, the saved views' counts (one statement for all of them) and the API. SLA states are
comparisons of stored instants with now (``next_due_at`` for breached, ``at_risk_at`` for at risk),
never business-time arithmetic in SQL.

Pages are keyset pages: the cursor holds the sort key of the row at the page's edge, so page 200
costs what page 1 costs (an index range scan), where OFFSET would read and discard 5,000 rows.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments import config_version
from departments.models import CannedResponse, Department, Service

from .. import clocks
from ..models import ACTIVE_STATUSES, SavedView, ServiceRequest, Status

User = get_user_model()

# (field, descending) per sort, the primary key last so every key is unique. Only ``next_due_at`` is
# nullable: requests without a running clock sort after all the others in every direction.
QUEUE_SORTS: dict[str, tuple[str, tuple[tuple[str, bool], ...]]] = {
    "due": (_("Nearest due time"), (("next_due_at", False), ("id", False))),
    "priority": (_("Priority, then oldest"), (("priority_rank", True), ("created_at", False), ("id", False))),
    "age": (_("Oldest first"), (("created_at", False), ("id", False))),
    "newest": (_("Newest first"), (("created_at", True), ("id", True))),
    "updated": (_("Last updated"), (("updated_at", True), ("id", True))),
}
NULLABLE_SORT_FIELDS = frozenset({"next_due_at"})
SLA_STATES = {
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "breached": _("Breached"),
    "paused": _("Paused"),
}
COUNT_CAP = 10_000
VIEW_COUNT_CAP = 1_000
# A text search is counted to 100: "100+ requests" tells a person to narrow the search as well as an exact
# figure would, and each match costs a probe of a search document, so counting all of a busy queue's
# matches would cost more than the page.
SEARCH_COUNT_CAP = 100
WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class QueueFilters:
    """What a queue shows. Empty means "no restriction", except ``status`` where empty means active."""

    status: str = ""
    priority: str = ""
    sla: str = ""
    assignee: str = ""  # "", "unassigned", "mine" or a user id
    service: int | None = None
    requester_department: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    sort: str = "due"


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the site's time zone: date filters mean the people's days."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def sla_state_q(state: str, now: datetime) -> Q:
    """The queue badge's states as conditions on stored instants (see ``selectors.requests._badge``)."""
    breached = Q(status__in=ACTIVE_STATUSES, next_due_at__lte=now)
    if state == "breached":
        return breached
    if state == "paused":
        return Q(status=Status.WAITING) & ~breached
    running = Q(status__in=(Status.NEW, Status.OPEN), next_due_at__gt=now)
    if state == "at_risk":
        return running & Q(at_risk_at__lte=now)
    if state == "on_track":
        return running & (Q(at_risk_at__isnull=True) | Q(at_risk_at__gt=now))
    raise ValueError(f"Unknown SLA state {state!r}")


def search_words(text: str) -> list[str]:
    """The words of a search, without operators: every word must match (as a prefix)."""
    return [w.lower() for w in WORD_RE.findall(text)][:12]


def search_q(text: str) -> Q:
    """Requests whose reference, title, field values or public comments contain every word.

    PostgreSQL: a prefix ``tsquery`` against the GIN-indexed document. SQLite: substrings of its text.
    """
    words = search_words(text)
    if not words:
        return Q()
    if connection.vendor == "postgresql":
        raw = " & ".join(f"{w}:*" for w in words)
        return Q(search__document=SearchQuery(raw, search_type="raw", config="simple"))
    condition = Q()
    for word in words:
        condition &= Q(search__text__contains=word)
    return condition


def queue_q(filters: QueueFilters, *, user: AbstractBaseUser, now: datetime) -> Q:
    """Every filter but the department as one condition.

    ``now`` appears only as itself (never ``now - x``) and ``user`` only for "mine": ``count_statement``
    keeps the compiled SQL of these conditions and puts each page's ``now`` in place of the compiled one.
    """
    q = Q()
    if filters.status == "all":
        pass
    elif filters.status:
        q &= Q(status=filters.status)
    elif not filters.sla:
        # Every SLA state names its active statuses itself; saying "active" twice would make PostgreSQL
        # multiply the two selectivities and misjudge a "breached" queue as a handful of rows.
        q &= Q(status__in=ACTIVE_STATUSES)
    if filters.priority:
        q &= Q(priority=filters.priority)
    if filters.sla:
        q &= sla_state_q(filters.sla, now)
    if filters.assignee == "unassigned":
        q &= Q(assignee__isnull=True)
    elif filters.assignee == "mine":
        q &= Q(assignee_id=user.pk)
    elif filters.assignee:
        q &= Q(assignee_id=int(filters.assignee))
    if filters.service:
        q &= Q(service_id=filters.service)
    if filters.requester_department:
        q &= Q(requester_department_id=filters.requester_department)
    if filters.created_from:
        q &= Q(created_at__gte=_start_of(filters.created_from))
    if filters.created_to:
        q &= Q(created_at__lt=_start_of(filters.created_to + timedelta(days=1)))
    if filters.due_from:
        q &= Q(next_due_at__gte=_start_of(filters.due_from))
    if filters.due_to:
        q &= Q(next_due_at__lt=_start_of(filters.due_to + timedelta(days=1)))
    if filters.q:
        q &= search_q(filters.q)
    return q


def queue_requests(
    *, department_ids: Sequence[int], filters: QueueFilters, user: AbstractBaseUser, now: datetime | None = None
) -> QuerySet[ServiceRequest]:
    """The filtered queue of the given departments with what a row shows joined in, unsorted."""
    now = now or timezone.now()
    qs = ServiceRequest.objects.filter(queue_q(filters, user=user, now=now))
    if len(department_ids) == 1:
        qs = qs.filter(department_id=department_ids[0])
    else:
        qs = qs.filter(department_id__in=department_ids)
    return qs.select_related("service", "requester", "assignee", "department")


# --- keyset pages ----------------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """A cursor that was not made by this code (edited, truncated, from another sort)."""


def _ordering(keys: Sequence[tuple[str, bool]], reverse: bool) -> list[Any]:
    result = []
    for name, descending in keys:
        descending = descending != reverse
        expression = F(name).desc if descending else F(name).asc
        if name not in NULLABLE_SORT_FIELDS:
            result.append(expression())
        elif reverse:  # nulls after everything going forward, so before everything going backward
            result.append(expression(nulls_first=True))
        else:
            result.append(expression(nulls_last=True))
    return result


def _beyond(name: str, value: Any, descending: bool, backward: bool) -> Q | None:
    """Rows strictly beyond ``value`` on one key, in page direction; None when nothing can be."""
    later = descending == backward  # ascending going forward, or descending going backward: greater values
    if value is None:
        # Nulls sort last going forward: nothing is beyond a null forward, every non-null is backward.
        return Q(**{f"{name}__isnull": False}) if backward else None
    beyond = Q(**{f"{name}__gt" if later else f"{name}__lt": value})
    if name in NULLABLE_SORT_FIELDS and not backward:
        beyond |= Q(**{f"{name}__isnull": True})
    return beyond


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def keyset_q(keys: Sequence[tuple[str, bool]], values: Sequence[Any], backward: bool) -> Q:
    """Rows after (or, ``backward``, before) the row whose sort key is ``values``."""
    condition = Q(pk__in=[])
    prefix = Q()
    for (name, descending), value in zip(keys, values, strict=True):
        beyond = _beyond(name, value, descending, backward)
        if beyond is not None:
            condition |= prefix & beyond
        prefix &= _equal(name, value)
    return condition


def _encode(sort: str, values: Sequence[Any], backward: bool) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"s": sort, "v": plain, "b": backward}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[list[Any], bool]:
    """The sort key values and direction in ``cursor``; ``InvalidCursor`` for anything else."""
    keys = QUEUE_SORTS[sort][1]
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, backward = data["v"], data["b"]
        if data["s"] != sort or len(values) != len(keys) or not isinstance(backward, bool):
            raise InvalidCursor(gettext("This page link belongs to another sort order."))
        parsed: list[Any] = []
        for (name, _descending), value in zip(keys, values, strict=True):
            if value is None:
                if name not in NULLABLE_SORT_FIELDS:
                    raise InvalidCursor(gettext("This page link is damaged."))
                parsed.append(None)
            elif name.endswith("_at"):
                moment = parse_datetime(value) if isinstance(value, str) else None
                if moment is None or moment.tzinfo is None:
                    raise InvalidCursor(gettext("This page link is damaged."))
                # In UTC: an instant the databases can store (an edited offset or year may not be).
                parsed.append(moment.astimezone(UTC))
            elif isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
                parsed.append(value)
            else:
                raise InvalidCursor(gettext("This page link is damaged."))
        return parsed, backward
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError, OverflowError) as exc:
        if isinstance(exc, InvalidCursor):
            raise
        raise InvalidCursor(gettext("This page link is damaged.")) from None


@dataclass
class KeysetPage:
    rows: list[ServiceRequest]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    total: int = 0
    total_capped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _sort_values(row: ServiceRequest, keys: Sequence[tuple[str, bool]]) -> list[Any]:
    return [getattr(row, "pk" if name == "id" else name) for name, _descending in keys]


def count_cap(filters: QueueFilters) -> int:
    """How far the page's own filter is counted: ``SEARCH_COUNT_CAP`` with a text search, else ``COUNT_CAP``."""
    return SEARCH_COUNT_CAP if search_words(filters.q) else COUNT_CAP


def keyset_page(
    qs: QuerySet[ServiceRequest],
    *,
    sort: str,
    cursor: str = "",
    size: int = 25,
    count: bool = True,
    cap: int = COUNT_CAP,
) -> KeysetPage:
    """One page of ``qs`` in ``sort`` order after (or before) ``cursor``; two queries with the count.

    The count is capped at ``cap`` (``SELECT count(*) FROM (... LIMIT cap)``): "10,000+" is as
    useful to a person as the exact figure, and a count of a huge filter must not cost more than
    the page itself.
    """
    keys = QUEUE_SORTS[sort][1]
    backward = False
    page_qs = qs
    if cursor:
        values, backward = decode_cursor(cursor, sort)
        page_qs = qs.filter(keyset_q(keys, values, backward))
    rows = list(page_qs.order_by(*_ordering(keys, backward))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    page = KeysetPage(rows=rows)
    if rows:
        has_next = more if not backward else True
        has_previous = more if backward else bool(cursor)
        if has_next:
            page.next_cursor = _encode(sort, _sort_values(rows[-1], keys), False)
        if has_previous:
            page.previous_cursor = _encode(sort, _sort_values(rows[0], keys), True)
    if count:
        page.total = qs.order_by().values("pk")[: cap + 1].count()
        page.total_capped = page.total > cap
        page.total = min(page.total, cap)
    return page


# --- saved views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueView:
    """A named filter in the queue's sidebar: built in, shared by a lead, or someone's own."""

    name: str
    query: str
    saved: SavedView | None = None
    count: int = 0
    capped: bool = False

    @property
    def kind(self) -> str:
        if self.saved is None:
            return "default"
        return "shared" if self.saved.shared else "mine"


# Every department gets these; leads add shared ones, anyone adds their own. Their filters are known
# valid, so they are built here rather than validated by the form on every page.
DEFAULT_VIEWS: tuple[tuple[str, str, QueueFilters], ...] = (
    (_("All open"), "", QueueFilters()),
    (_("Unassigned"), "assignee=unassigned", QueueFilters(assignee="unassigned")),
    (_("Mine"), "assignee=mine", QueueFilters(assignee="mine")),
    (_("At risk"), "sla=at_risk", QueueFilters(sla="at_risk")),
    (_("Breached"), "sla=breached", QueueFilters(sla="breached")),
    (_("Waiting on requester"), "status=waiting", QueueFilters(status="waiting")),
)


def saved_views(department: Department, user: AbstractBaseUser) -> list[SavedView]:
    return list(
        SavedView.objects.filter(department=department)
        .filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("-shared", "name", "id")
    )


def count_statement(
    department_id: int, filters: QueueFilters, *, user: AbstractBaseUser, cap: int, now: datetime
) -> tuple[str, list[Any]]:
    """SQL and parameters listing the ids of up to ``cap`` + 1 requests of the department's queue under
    ``filters`` at ``now``: ``queue_requests`` compiled, for ``views_with_counts`` to count in one statement.

    Compiled on every page: keeping the compilations per process (with "now" put in at each use) saved
    about 2 ms of a 28 ms queue page, not enough for its cleverness (bench/README.md, issue 12).
    """
    qs = queue_requests(department_ids=[department_id], filters=filters, user=user, now=now)
    sql, params = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return sql, list(params)


def views_with_counts(
    views: Sequence[tuple[str, str, SavedView | None, QueueFilters | None]],
    *,
    department: Department,
    user: AbstractBaseUser,
    now: datetime | None = None,
    current: QueueFilters | None = None,
) -> tuple[list[QueueView], QueueView | None]:
    """Each view with its live count (up to ``VIEW_COUNT_CAP``), and the page's own filters (``current``,
    up to ``count_cap``), all counted in one SQL statement of capped scalar subqueries.

    Filters that appear twice (the page shows a view) are counted once. A view whose filters no longer
    validate (``None``) shows no count rather than a wrong one.
    """
    now = now or timezone.now()
    wanted: dict[QueueFilters, int] = {}  # filters (sort aside) -> the highest cap anyone needs
    for _name, _query, _saved, filters in views:
        if filters is not None:
            key = replace(filters, sort="due")
            wanted[key] = max(wanted.get(key, 0), VIEW_COUNT_CAP)
    if current is not None:
        key = replace(current, sort="due")
        wanted[key] = max(wanted.get(key, 0), count_cap(current))
    parts: list[str] = []
    params: list[Any] = []
    for filters, cap in wanted.items():
        sql, sub_params = count_statement(department.pk, filters, user=user, cap=cap, now=now)
        parts.append(f"(SELECT count(*) FROM ({sql}) AS view_{len(parts)})")  # noqa: S608 - compiled by the ORM
        params.extend(sub_params)
    counts: dict[QueueFilters, int] = {}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts = dict(zip(wanted, cursor.fetchone(), strict=True))

    def view(name: str, query: str, saved: SavedView | None, filters: QueueFilters | None, cap: int) -> QueueView:
        count = counts[replace(filters, sort="due")] if filters is not None else 0
        return QueueView(name, query, saved, min(count, cap), count > cap)

    result = [view(name, query, saved, filters, VIEW_COUNT_CAP) for name, query, saved, filters in views]
    return result, (view("current", "", None, current, count_cap(current)) if current is not None else None)


@dataclass(frozen=True)
class QueueConfiguration:
    """What a department's queue page validates filters against and computes its clocks with."""

    services: list[Service]  # all of the department's services, with ``clocks.SERVICE_JOINS``
    departments: list[Department]  # the active departments (requester's department filter)
    sla: clocks.SLAConfig


def queue_configuration(department_id: int) -> QueueConfiguration:
    """The department's queue configuration, kept in this process under the catalog's configuration
    stamp (``departments.config_version``): it changes in admin a few times a day, and reading it is
    two queries and a fifth of a queue page's ORM work. Read only."""

    def load() -> QueueConfiguration:
        services = list(
            Service.objects.filter(department_id=department_id).select_related(*clocks.SERVICE_JOINS).order_by("name")
        )
        departments = list(Department.objects.filter(is_active=True).order_by("name"))
        return QueueConfiguration(services, departments, clocks.SLAConfig(services=services))

    return config_version.kept(("queue", department_id), load)


def canned_responses(department: Department) -> list[CannedResponse]:
    return list(CannedResponse.objects.filter(department=department).order_by("title"))


def with_filters(filters: QueueFilters, **changes: Any) -> QueueFilters:
    return replace(filters, **changes)


def department_members(department: Department) -> QuerySet:
    """Active agents and leads of the department, by name: the assignee choices."""
    return User.objects.filter(memberships__department=department, is_active=True).order_by("first_name", "username")
