"""Reads for the dashboards, the company view, the monthly review and the catalog's delivered figures.

Everything comes from the summary tables (``models/summaries.py``): a department dashboard reads its
service-day rows of the range and the 12 weeks before its end (a few hundred rows however many
requests there are), its backlog snapshots, its open follow-ups and actions. Figures that have no
measurement are None and shown as "—", never as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import Sum
from django.utils import timezone

from departments.models import Department, Service
from requests_app.feedback import arithmetic as figures
from requests_app.feedback.models import (
    BACKLOG_BUCKETS,
    AssessmentAction,
    DepartmentDay,
    FeedbackFollowUp,
    RelationDay,
    ServiceDay,
    SummaryRun,
)

from ..days import day_bounds

TREND_WEEKS = 12
FOLLOW_UPS_PER_PAGE = 20


@dataclass
class ClockFigures:
    """One clock over a period: how many stopped, how many had a target and met it, and the times."""

    stopped: int = 0
    with_target: int = 0
    in_time: int = 0
    seconds: list[int] = field(default_factory=list)

    @property
    def compliance(self) -> float | None:
        return figures.share(self.in_time, self.with_target)

    @cached_property
    def ordered(self) -> list[int]:
        """The times sorted once, when first read: every ``add`` comes before the first read."""
        return sorted(self.seconds)

    @property
    def median(self) -> float | None:
        return figures.percentile_of_sorted(self.ordered, 0.5)

    @property
    def p90(self) -> float | None:
        return figures.percentile_of_sorted(self.ordered, 0.9)


@dataclass
class Period:
    """What a department (or service) delivered between two days, inclusive."""

    since: date
    until: date
    filed: int = 0
    first_response: ClockFigures = field(default_factory=ClockFigures)
    resolution: ClockFigures = field(default_factory=ClockFigures)
    ratings: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    by_service: dict[int, int] = field(default_factory=dict)

    def add(self, row: ServiceDay) -> None:
        self.filed += row.filed
        self.by_service[row.service_id] = self.by_service.get(row.service_id, 0) + row.filed
        self.first_response.stopped += row.responded
        self.first_response.with_target += row.responded_with_target
        self.first_response.in_time += row.responded_in_time
        self.first_response.seconds.extend(row.response_seconds)
        self.resolution.stopped += row.resolved
        self.resolution.with_target += row.resolved_with_target
        self.resolution.in_time += row.resolved_in_time
        self.resolution.seconds.extend(row.resolution_seconds)
        figures.add_counts(self.ratings, row.ratings)

    @property
    def satisfaction(self) -> figures.Satisfaction:
        return figures.satisfaction(self.ratings)


@dataclass
class Backlog:
    as_of: date | None
    total: int
    buckets: list[tuple[str, int]]


@dataclass
class Week:
    start: date
    period: Period
    backlog: int | None


@dataclass
class DepartmentFigures:
    department: Department
    period: Period
    services: list[tuple[Service, int]]
    backlog: Backlog
    weeks: list[Week]
    kudos: int
    follow_ups: Page | None
    actions: list[AssessmentAction]
    computed_at: datetime | None


def _backlog(row: DepartmentDay | None) -> Backlog:
    if row is None:
        return Backlog(None, 0, [(label, 0) for label, _ in BACKLOG_BUCKETS])
    counts = list(row.backlog_buckets) + [0] * (len(BACKLOG_BUCKETS) - len(row.backlog_buckets))
    return Backlog(row.day, row.backlog, [(label, counts[i]) for i, (label, _) in enumerate(BACKLOG_BUCKETS)])


def week_starts(until: date, weeks: int = TREND_WEEKS) -> list[date]:
    """The Mondays of the ``weeks`` ISO weeks ending with the one that holds ``until``, oldest first."""
    last = until - timedelta(days=until.weekday())
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def last_computed() -> datetime | None:
    run = SummaryRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").only("finished_at").first()
    return run.finished_at if run else None


def department_figures(
    department: Department, *, since: date, until: date, leads_view: bool, follow_up_page: str | int = 1
) -> DepartmentFigures:
    """The department dashboard: the period's figures, the 12-week trend, backlog, follow-ups, actions.

    Five queries whatever the number of requests (service days, department days, services, open
    actions, and for leads a page of open follow-ups with their count) plus when the figures were
    computed. Follow-ups come a page at a time, oldest first: a department that has let hundreds pile up
    must still get its dashboard quickly, and the oldest are the ones to act on.
    """
    starts = week_starts(until)
    first = min(since, starts[0])
    rows = list(ServiceDay.objects.filter(department=department, day__gte=first, day__lte=until).order_by("day"))
    period = Period(since, until)
    weeks = {start: Period(start, start + timedelta(days=6)) for start in starts}
    for row in rows:
        if since <= row.day <= until:
            period.add(row)
        week = row.day - timedelta(days=row.day.weekday())
        if week in weeks:
            weeks[week].add(row)
    days = {
        d.day: d
        for d in DepartmentDay.objects.filter(department=department, day__gte=first, day__lte=until).order_by("day")
    }
    latest = days[max(days)] if days else None
    kudos = sum(d.kudos for day, d in days.items() if since <= day <= until)

    def backlog_at(end: date) -> int | None:
        known = [day for day in days if day <= end]
        return days[max(known)].backlog if known else None

    trend = [Week(start, weeks[start], backlog_at(min(start + timedelta(days=6), until))) for start in starts]
    services = {s.pk: s for s in Service.objects.filter(department=department)}
    volume = sorted(
        ((services[pk], n) for pk, n in period.by_service.items() if pk in services), key=lambda item: -item[1]
    )
    actions = list(
        AssessmentAction.objects.filter(assessment__department=department, done_at=None)
        .select_related("owner", "criterion", "assessment")
        .order_by("due_on", "id")
    )
    follow_ups = None
    if leads_view:
        open_follow_ups = (
            FeedbackFollowUp.objects.filter(department=department, closed_at=None)
            .select_related("feedback__request__requester")
            .order_by("opened_at", "id")
        )
        follow_ups = Paginator(open_follow_ups, FOLLOW_UPS_PER_PAGE).get_page(follow_up_page)
    return DepartmentFigures(
        department=department,
        period=period,
        services=volume,
        backlog=_backlog(latest),
        weeks=trend,
        kudos=kudos,
        follow_ups=follow_ups,
        actions=actions,
        computed_at=last_computed(),
    )


# --- the company view ------------------------------------------------------------------------------


@dataclass
class Cell:
    filed: int
    measured: int
    in_time: int
    rating_count: int
    rating_sum: int

    @property
    def compliance(self) -> float | None:
        return figures.share(self.in_time, self.measured)

    @property
    def satisfaction(self) -> float | None:
        return None if self.rating_count == 0 else self.rating_sum / self.rating_count


@dataclass
class ServiceRank:
    service: Service
    measured: int
    breached: int
    filed: int

    @property
    def breach_rate(self) -> float | None:
        return figures.share(self.breached, self.measured)


@dataclass
class CompanyFigures:
    since: date
    until: date
    requesters: list[Department | None]
    servers: list[Department]
    cells: dict[tuple[int | None, int], Cell]
    ranking: list[ServiceRank]
    computed_at: datetime | None

    def cell(self, requester: Department | None, server: Department) -> Cell | None:
        return self.cells.get((requester.pk if requester else None, server.pk))

    @property
    def rows(self) -> list[tuple[Department | None, list[tuple[Department, Cell | None]]]]:
        """The matrix as the page draws it: per requester department, the cell of each serving one."""
        return [(r, [(s, self.cell(r, s)) for s in self.servers]) for r in self.requesters]


def company_figures(*, since: date, until: date) -> CompanyFigures:
    """Requester department × serving department, and services ranked by breach rate (three queries)."""
    sums = (
        RelationDay.objects.filter(day__gte=since, day__lte=until)
        .values("requester_department_id", "department_id")
        .annotate(
            filed=Sum("filed"),
            measured=Sum("measured"),
            in_time=Sum("in_time"),
            rating_count=Sum("rating_count"),
            rating_sum=Sum("rating_sum"),
        )
        .order_by()
    )
    cells = {
        (row["requester_department_id"], row["department_id"]): Cell(
            row["filed"], row["measured"], row["in_time"], row["rating_count"], row["rating_sum"]
        )
        for row in sums
    }
    departments = {d.pk: d for d in Department.objects.order_by("name")}
    server_ids = {server for _, server in cells}
    requester_ids = {requester for requester, _ in cells}
    servers = [d for d in departments.values() if d.pk in server_ids]
    requesters: list[Department | None] = [d for d in departments.values() if d.pk in requester_ids]
    if None in requester_ids:
        requesters.append(None)
    ranking_rows = (
        ServiceDay.objects.filter(day__gte=since, day__lte=until)
        .values("service_id")
        .annotate(
            responded=Sum("responded_with_target"),
            responded_in_time=Sum("responded_in_time"),
            resolved=Sum("resolved_with_target"),
            resolved_in_time=Sum("resolved_in_time"),
            filed=Sum("filed"),
        )
        .order_by()
    )
    services = {s.pk: s for s in Service.objects.select_related("department")}
    ranking = []
    for row in ranking_rows:
        measured = row["responded"] + row["resolved"]
        breached = measured - row["responded_in_time"] - row["resolved_in_time"]
        if row["service_id"] in services:
            ranking.append(ServiceRank(services[row["service_id"]], measured, breached, row["filed"]))
    ranking.sort(key=lambda r: (-(r.breach_rate or 0), -r.measured, r.service.name))
    return CompanyFigures(since, until, requesters, servers, cells, ranking, last_computed())


# --- the monthly review ----------------------------------------------------------------------------


@dataclass
class MonthFigures:
    month: date
    period: Period
    backlog: Backlog
    kudos: int


@dataclass
class ReviewFigures:
    department: Department
    current: MonthFigures
    previous: MonthFigures
    actions_open: list[AssessmentAction]
    actions_done: list[AssessmentAction]
    computed_at: datetime | None


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def review_figures(department: Department, month: date) -> ReviewFigures:
    """The month's figures next to the month before's (three queries and the open/done actions)."""
    before = (month - timedelta(days=1)).replace(day=1)
    rows = ServiceDay.objects.filter(department=department, day__gte=before, day__lte=month_end(month))
    days = list(DepartmentDay.objects.filter(department=department, day__gte=before, day__lte=month_end(month)))
    months = {}
    for start in (before, month):
        end = month_end(start)
        period = Period(start, end)
        for row in rows:
            if start <= row.day <= end:
                period.add(row)
        inside = [d for d in days if start <= d.day <= end]
        last = max(inside, key=lambda d: d.day) if inside else None
        months[start] = MonthFigures(start, period, _backlog(last), sum(d.kudos for d in inside))
    actions = list(
        AssessmentAction.objects.filter(assessment__department=department)
        .exclude(done_at__lt=day_bounds(month)[0])
        .select_related("owner", "criterion")
        .order_by("due_on")
    )
    end = month_end(month)
    return ReviewFigures(
        department=department,
        current=months[month],
        previous=months[before],
        actions_open=[a for a in actions if a.done_at is None],
        actions_done=[a for a in actions if a.done_at is not None and timezone.localdate(a.done_at) <= end],
        computed_at=last_computed(),
    )
