"""Every figure of the dashboards, the company view, the catalog and the monthly review, against a small
hand-built history whose right answers are written here.

The history (``books``) is made through the real services on a stopped clock. IT and HR work Monday to
Friday, 09:00-17:00 Berlin; a normal request has 4 business hours (14,400 s) to its first response and 16
(57,600 s) to its resolution. The site counts days in UTC (Berlin is UTC+1 in winter, so a working
day is the same date in both). Requesters: ``requester`` works in Sales, ``colleague`` in Marketing,
``outsider`` has no home department.

January 2027 (the month before):
  O2  laptop    requester  filed Mon 4 Jan 10:00, never answered (still open)
  P   software  requester  filed Wed 6 Jan 10:00, reply 11:00 (3,600 s, in time),
                           resolved Thu 7 Jan 10:00 (7 h + 1 h = 28,800 s, in time), rated 4 at 11:00
February 2027:
  O1  laptop    requester  filed Mon 1 Feb 10:00, never answered (still open)
The week of Monday 15 to Friday 19 February:
  A  laptop    requester   filed Mon 09:00, reply Mon 10:00 (3,600 s, in time),
                           resolved Mon 13:00 (14,400 s, in time), rated 5 Mon 14:00, the agent thanked
  B  laptop    requester   filed Mon 09:00, reply Mon 15:00 (21,600 s, due 13:00: breached),
                           resolved Tue 11:00 (8 h + 2 h = 36,000 s, in time), rated 2 Tue 12:00
  C  software  colleague   filed Mon 10:00, reply Mon 10:30 (1,800 s, in time),
                           resolved Wed 12:00 (7 + 8 + 3 h = 64,800 s, due Wed 10:00: breached), rated 4
  D  laptop    colleague   filed Mon 11:00, reply Tue 09:30 (6 h + 30 min = 23,400 s, breached), open
  E  laptop    outsider    filed Mon 12:00, reply 12:15 (900 s, in time), resolved 16:00 (14,400 s), rated 3
  F  software  requester   filed Tue 09:00, open
  G  laptop    outsider    filed Fri 10:00, open
  H  software  colleague   filed Wed 09:00, open
  I  certificate (HR) requester  filed Mon 09:00, HR reply 09:30 (1,800 s), resolved 10:00 (3,600 s), rated 1

The figures are computed on Friday 19 February at 18:00 Berlin (17:00 UTC) for every day from 4 January.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from departments.models import Profile
from requests_app.feedback import arithmetic as figures
from requests_app.feedback.models import ServiceSnapshot
from requests_app.feedback.selectors import dashboards

from ... import factories
from .desk import berlin

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

JAN_4, JAN_6, JAN_7, FEB_1 = date(2027, 1, 4), date(2027, 1, 6), date(2027, 1, 7), date(2027, 2, 1)
MON, TUE, WED, THU, FRI = (date(2027, 2, day) for day in range(15, 20))
NOW = berlin(FRI, 18)
WEEK = f"?since={MON}&until={FRI}"

HOUR = 3600
# The week's IT clocks, in business seconds, from the table above.
FIRST_RESPONSES = [3600, 21600, 1800, 23400, 900]  # A B C D E; B and D breached
RESOLUTIONS = [14400, 36000, 64800, 14400]  # A B C E; C breached


# --- the arithmetic ------------------------------------------------------------------------------


def test_percentile_of_nothing_is_no_figure():
    assert figures.percentile([], 0.5) is None
    assert figures.median([]) is None
    assert figures.p90([]) is None


def test_every_percentile_of_one_value_is_that_value():
    assert figures.median([42]) == 42
    assert figures.p90([42]) == 42
    assert figures.percentile([42], 0) == 42
    assert figures.percentile([42], 1) == 42


def test_median_of_an_odd_count_is_the_middle_value():
    assert figures.median([5, 1, 3]) == 3


def test_median_of_an_even_count_is_halfway_between_the_middle_values():
    assert figures.median([4, 1, 3, 2]) == 2.5


def test_p90_interpolates_between_the_closest_ranks():
    # Rank 0.9 x (4 - 1) = 2.7: 3 + 0.7 x (4 - 3).
    assert figures.p90([1, 2, 3, 4]) == pytest.approx(3.7)
    # Ten values: rank 8.1 between the 9th (90) and the 10th (100).
    assert figures.p90([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) == pytest.approx(91)


def test_percentile_ends_are_the_smallest_and_largest_values():
    assert figures.percentile([7, 3, 9], 0) == 3
    assert figures.percentile([7, 3, 9], 1) == 9


def test_percentile_refuses_a_fraction_outside_0_to_1():
    with pytest.raises(ValueError):
        figures.percentile([1, 2], 1.5)


def test_share_of_nothing_measured_is_no_figure_not_0_or_100():
    assert figures.share(0, 0) is None


def test_share_is_a_percentage():
    assert figures.share(3, 4) == 75.0
    assert figures.share(0, 5) == 0.0
    assert figures.share(1, 3) == pytest.approx(100 / 3)


def test_satisfaction_without_ratings_has_no_average():
    nobody = figures.satisfaction([])

    assert nobody.count == 0
    assert nobody.average is None
    assert nobody.distribution == (0, 0, 0, 0, 0)
    assert nobody.percentages == (0.0, 0.0, 0.0, 0.0, 0.0)


def test_satisfaction_counts_averages_and_distributes_the_ratings():
    rated = figures.satisfaction([1, 0, 2, 0, 1])  # one 1, two 3s, one 5

    assert rated.count == 4
    assert rated.average == (1 + 3 + 3 + 5) / 4
    assert rated.distribution == (1, 0, 2, 0, 1)
    assert rated.percentages == (25.0, 0.0, 50.0, 0.0, 25.0)


def test_satisfaction_pads_a_short_distribution():
    assert figures.satisfaction([0, 2]).distribution == (0, 2, 0, 0, 0)


# --- the history ---------------------------------------------------------------------------------


@dataclass
class Books:
    sales: Any
    marketing: Any
    software: Any
    outsider: Any
    requests: dict[str, Any]


@pytest.fixture
def books(world, desk) -> Books:
    sales = factories.make_department("Sales", "SA")
    marketing = factories.make_department("Marketing", "MK")
    Profile.objects.create(user=world.requester, department=sales)
    Profile.objects.create(user=world.colleague, department=marketing)
    outsider = factories.make_user("outsider")
    software = factories.make_service(world.it, "Software install", slug="software-install")
    laptop, certificate = world.laptop, world.certificate
    requester, colleague = world.requester, world.colleague
    r: dict[str, Any] = {}

    r["O2"] = desk.file(berlin(JAN_4, 10), service=laptop, requester=requester)
    r["P"] = desk.served(
        berlin(JAN_6, 10), reply=berlin(JAN_6, 11), resolve=berlin(JAN_7, 10), service=software, requester=requester
    )
    desk.rate(r["P"], berlin(JAN_7, 11), 4)
    r["O1"] = desk.file(berlin(FEB_1, 10), service=laptop, requester=requester)

    r["A"] = desk.served(berlin(MON, 9), reply=berlin(MON, 10), resolve=berlin(MON, 13), requester=requester)
    r["B"] = desk.served(berlin(MON, 9), reply=berlin(MON, 15), resolve=berlin(TUE, 11), requester=requester)
    r["I"] = desk.served(
        berlin(MON, 9),
        reply=berlin(MON, 9, 30),
        resolve=berlin(MON, 10),
        service=certificate,
        requester=requester,
        by=world.other_agent,
    )
    r["C"] = desk.served(
        berlin(MON, 10), reply=berlin(MON, 10, 30), resolve=berlin(WED, 12), service=software, requester=colleague
    )
    r["D"] = desk.served(berlin(MON, 11), reply=berlin(TUE, 9, 30), requester=colleague)
    r["E"] = desk.served(berlin(MON, 12), reply=berlin(MON, 12, 15), resolve=berlin(MON, 16), requester=outsider)
    r["F"] = desk.file(berlin(TUE, 9), service=software, requester=requester)
    r["H"] = desk.file(berlin(WED, 9), service=software, requester=colleague)
    r["G"] = desk.file(berlin(FRI, 10), service=laptop, requester=outsider)

    desk.rate(r["I"], berlin(MON, 11), 1)
    desk.rate(r["A"], berlin(MON, 14), 5)
    desk.thank(r["A"], berlin(MON, 14, 30), sender=requester, recipient=world.agent)
    desk.rate(r["E"], berlin(TUE, 10), 3)
    desk.rate(r["B"], berlin(TUE, 12), 2)
    desk.rate(r["C"], berlin(WED, 13), 4)

    desk.refresh(NOW, JAN_4, FRI)
    return Books(sales, marketing, software, outsider, r)


def it_week(world: Any) -> dashboards.DepartmentFigures:
    return dashboards.department_figures(world.it, since=MON, until=FRI, leads_view=True)


def test_the_history_has_the_clocks_the_table_says(books):
    """The fixture itself: if the SLA engine measured differently, every figure below would be off."""
    r = books.requests
    measured = {
        name: (r[name].first_response_used_seconds, r[name].first_response_breached_at is not None) for name in "ABCDE"
    }

    assert measured == {
        "A": (3600, False),
        "B": (21600, True),
        "C": (1800, False),
        "D": (23400, True),
        "E": (900, False),
    }
    assert [r[n].resolution_used_seconds for n in "ABCE"] == RESOLUTIONS
    assert [r[n].resolution_breached_at is not None for n in "ABCE"] == [False, False, True, False]


# --- the department dashboard --------------------------------------------------------------------


def test_first_response_compliance_is_the_share_of_first_replies_within_target(world, books):
    clock = it_week(world).period.first_response

    assert (clock.stopped, clock.with_target, clock.in_time) == (5, 5, 3)  # A, C, E in time
    assert clock.compliance == 60.0


def test_first_response_median_and_p90_are_of_the_business_seconds_to_the_first_reply(world, books):
    clock = it_week(world).period.first_response
    # Sorted: 900, 1800, 3600, 21600, 23400. Median: the third. p90: rank 0.9 x 4 = 3.6.
    assert sorted(clock.seconds) == [900, 1800, 3600, 21600, 23400]
    assert clock.median == 3600
    assert clock.p90 == pytest.approx(21600 + 0.6 * (23400 - 21600))  # 22,680 s


def test_resolution_compliance_is_the_share_of_resolutions_within_target(world, books):
    clock = it_week(world).period.resolution

    assert (clock.stopped, clock.with_target, clock.in_time) == (4, 4, 3)  # C was late
    assert clock.compliance == 75.0


def test_resolution_median_and_p90_are_of_the_business_seconds_to_resolution(world, books):
    clock = it_week(world).period.resolution
    # Sorted: 14400, 14400, 36000, 64800. Median: halfway between the middle two. p90: rank 2.7.
    assert sorted(clock.seconds) == [14400, 14400, 36000, 64800]
    assert clock.median == (14400 + 36000) / 2  # 25,200 s
    assert clock.p90 == pytest.approx(36000 + 0.7 * (64800 - 36000))  # 56,160 s


def test_backlog_is_counted_by_age_at_the_time_of_computing(world, books):
    backlog = it_week(world).backlog
    # G 8 h, H 2 d 9 h, F 3 d 9 h, D 4 d 7 h, O1 18 d 8 h, O2 46 d 8 h old on Friday 17:00 UTC.
    assert backlog.as_of == FRI
    assert backlog.total == 6
    assert backlog.buckets == [
        ("under 1 day", 1),
        ("1-3 days", 1),
        ("3-7 days", 2),
        ("1-4 weeks", 1),
        ("over 4 weeks", 1),
    ]


def test_backlog_of_another_department_counts_only_its_own_requests(world, books):
    hr = dashboards.department_figures(world.hr, since=MON, until=FRI, leads_view=True)

    assert hr.backlog.total == 0


def test_volume_by_service_counts_requests_filed_in_the_period_most_first(world, books):
    volume = [(service.name, n) for service, n in it_week(world).services]

    assert volume == [("Laptop replacement", 5), ("Software install", 3)]  # A B D E G; C F H
    assert it_week(world).period.filed == 8


def test_satisfaction_is_the_average_and_distribution_of_the_periods_ratings(world, books):
    rated = it_week(world).period.satisfaction  # A 5, B 2, C 4, E 3 (I was HR's)

    assert rated.count == 4
    assert rated.average == (5 + 2 + 4 + 3) / 4
    assert rated.distribution == (0, 1, 1, 1, 1)


def test_thanks_received_in_the_period_are_counted(world, books):
    assert it_week(world).kudos == 1


def test_the_trend_has_twelve_weeks_ending_with_the_periods_last(world, books):
    weeks = it_week(world).weeks

    assert [w.start for w in weeks] == dashboards.week_starts(FRI)
    assert len(weeks) == 12
    assert weeks[0].start == date(2026, 11, 30)
    assert weeks[-1].start == MON


def test_the_trend_week_of_the_period_has_that_weeks_figures(world, books):
    week = it_week(world).weeks[-1].period

    assert week.filed == 8
    assert week.first_response.compliance == 60.0
    assert week.first_response.median == 3600
    assert week.resolution.compliance == 75.0
    assert week.resolution.median == 25200
    assert week.satisfaction.average == 3.5


def test_the_trend_week_in_january_has_that_weeks_figures(world, books):
    week = next(w for w in it_week(world).weeks if w.start == JAN_4).period  # O2 and P

    assert week.filed == 2
    assert week.first_response.compliance == 100.0
    assert week.first_response.median == 3600
    assert week.resolution.compliance == 100.0
    assert week.resolution.median == 28800
    assert week.satisfaction.average == 4.0


def test_the_trend_week_of_a_lone_filing_counts_it_and_measures_nothing(world, books):
    week = next(w for w in it_week(world).weeks if w.start == FEB_1).period  # O1

    assert week.filed == 1
    assert week.first_response.compliance is None
    assert week.first_response.median is None
    assert week.satisfaction.average is None


def test_trend_weeks_without_activity_have_no_figures_rather_than_zero(world, books):
    quiet = next(w for w in it_week(world).weeks if w.start == date(2027, 2, 8)).period

    assert quiet.filed == 0
    assert quiet.first_response.compliance is None
    assert quiet.resolution.p90 is None
    assert quiet.satisfaction.average is None


def test_the_trend_backlog_is_the_open_requests_at_the_end_of_each_week(world, books):
    backlog = {w.start: w.backlog for w in it_week(world).weeks}

    # Nothing was computed before 4 January: no figure, not 0.
    assert [backlog[start] for start in dashboards.week_starts(FRI)[:5]] == [None] * 5  # 30 Nov to 28 Dec
    assert backlog[JAN_4] == 1  # O2 (P was resolved on the 7th)
    assert backlog[date(2027, 1, 25)] == 1
    assert backlog[FEB_1] == 2  # O1 and O2
    assert backlog[date(2027, 2, 8)] == 2
    assert backlog[MON] == 6  # Friday, when the figures were computed


def test_the_default_period_is_the_twelve_weeks_up_to_today(world, books, desk):
    response = desk.get(world.lead, f"/departments/{world.it.slug}/dashboard/", NOW)

    period = response.context["data"].period
    assert (period.since, period.until) == (date(2026, 11, 28), FRI)
    assert period.filed == 11  # the week's 8 (I is HR's), O1, O2, P
    assert period.first_response.compliance == pytest.approx(100 * 4 / 6)  # P joins A, C, E


def test_the_dashboard_page_shows_the_periods_figures(world, books, desk):
    page = desk.get(world.agent, f"/departments/{world.it.slug}/dashboard/{WEEK}", NOW).content.decode()

    assert 'id="fr-compliance">60%<' in page
    assert "median 1h, p90 6h 18m" in page  # 3,600 s and 22,680 s
    assert 'id="res-compliance">75%<' in page
    assert "median 7h, p90 1d 7h 36m" in page  # 25,200 s and 56,160 s (days of 8 hours)
    assert 'id="satisfaction">3.5 / 5<' in page
    assert 'id="backlog">6<' in page
    assert "8 filed in the period · 1 thanks" in page


def test_the_dashboard_page_lists_backlog_volume_and_ratings_in_tables(world, books, desk):
    page = desk.get(world.agent, f"/departments/{world.it.slug}/dashboard/{WEEK}", NOW).content.decode()

    assert '<th scope="row">3-7 days</th><td>2</td>' in page
    assert '<th scope="row">over 4 weeks</th><td>1</td>' in page
    assert '<th scope="row">Laptop replacement</th><td>5</td>' in page
    assert '<th scope="row">Software install</th><td>3</td>' in page
    ratings = re.search(r'id="ratings">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", ratings) == ["0", "1", "1", "1", "1"]


def test_the_week_by_week_table_has_the_numbers_the_charts_draw(world, books, desk):
    page = desk.get(world.agent, f"/departments/{world.it.slug}/dashboard/{WEEK}", NOW).content.decode()

    table = re.search(r'id="weeks">(.*?)</table>', page, re.S).group(1)
    rows = {start: cells for start, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S)}
    assert len(rows) == 12
    assert re.findall(r"<td>([^<]*)</td>", rows["15 Feb"]) == [
        "8", "60%", "1h", "6h 18m", "75%", "7h", "1d 7h 36m", "3.5 / 5", "6"
    ]  # fmt: skip
    assert re.findall(r"<td>([^<]*)</td>", rows["8 Feb"]) == ["0", "—", "—", "—", "—", "—", "—", "—", "2"]


def test_the_dashboard_says_when_its_figures_were_computed(world, books, desk):
    page = desk.get(world.agent, f"/departments/{world.it.slug}/dashboard/", NOW).content.decode()

    assert "Figures computed at 2027-02-19 17:00." in page  # UTC, the site's time zone


def test_a_dashboard_before_any_refresh_says_figures_are_not_computed_yet(world, desk):
    page = desk.get(world.agent, f"/departments/{world.it.slug}/dashboard/", NOW).content.decode()

    assert "Figures have not been computed yet" in page
    assert 'id="fr-compliance">—<' in page


def test_csv_export_has_a_row_per_trend_week_and_the_periods_total(world, books, desk):
    response = desk.get(world.lead, f"/departments/{world.it.slug}/dashboard/{WEEK}&format=csv", NOW)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="it-2027-02-15-2027-02-19.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["period", "from", "until", "filed"]
    assert len(rows) == 1 + 12 + 1
    by_start = {row[1]: row for row in rows[1:13]}
    assert by_start["2027-02-15"] == [
        "week", "2027-02-15", "2027-02-21", "8", "60.0", "3600", "22680", "75.0", "25200", "56160", "4", "3.50", "6"
    ]  # fmt: skip
    assert by_start["2027-01-04"] == [
        "week", "2027-01-04", "2027-01-10", "2", "100.0", "3600", "3600", "100.0", "28800", "28800", "1", "4.00", "1"
    ]  # fmt: skip
    assert by_start["2027-02-08"] == ["week", "2027-02-08", "2027-02-14", "0", "", "", "", "", "", "", "0", "", "2"]
    assert by_start["2026-11-30"] == ["week", "2026-11-30", "2026-12-06", "0", "", "", "", "", "", "", "0", "", ""]
    assert rows[-1] == [
        "total", "2027-02-15", "2027-02-19", "8", "60.0", "3600", "22680", "75.0", "25200", "56160", "4", "3.50", "6"
    ]  # fmt: skip


# --- the company view ----------------------------------------------------------------------------


def company_week() -> dashboards.CompanyFigures:
    return dashboards.company_figures(since=MON, until=FRI)


@pytest.mark.parametrize(
    ("requester", "server", "filed", "measured", "in_time", "compliance", "satisfaction"),
    [
        # A, B, F; clocks A first, A resolution, B first (late), B resolution; ratings 5 and 2.
        ("sales", "it", 3, 4, 3, 75.0, 3.5),
        # C, D, H; clocks C first, C resolution (late), D first (late); rating 4.
        ("marketing", "it", 3, 3, 1, 100 / 3, 4.0),
        # E, G; clocks E first and resolution; rating 3.
        (None, "it", 2, 2, 2, 100.0, 3.0),
        # I; both clocks in time; rating 1.
        ("sales", "hr", 1, 2, 2, 100.0, 1.0),
    ],
    ids=["sales-it", "marketing-it", "nobody-it", "sales-hr"],
)
def test_company_matrix_cell(world, books, requester, server, filed, measured, in_time, compliance, satisfaction):
    departments = {"sales": books.sales, "marketing": books.marketing, "it": world.it, "hr": world.hr, None: None}

    cell = company_week().cell(departments[requester], departments[server])

    assert (cell.filed, cell.measured, cell.in_time) == (filed, measured, in_time)
    assert cell.compliance == pytest.approx(compliance)
    assert cell.satisfaction == satisfaction


def test_company_matrix_has_no_cell_where_nobody_was_served(world, books):
    assert company_week().cell(books.marketing, world.hr) is None


def test_company_matrix_rows_are_requester_departments_then_those_without_one(world, books):
    data = company_week()

    assert [d.name if d else None for d in data.requesters] == ["Marketing", "Sales", None]
    assert [d.name for d in data.servers] == ["HR", "IT"]


def test_company_page_draws_each_cell_with_volume_compliance_and_satisfaction(world, books, desk):
    page = desk.get(world.lead, f"/company/{WEEK}", NOW).content.decode()

    def cell(key: str) -> str:
        return re.search(rf'data-cell="{key}">(.*?)</td>', page, re.S).group(1).strip()

    assert cell("sales:it") == "3 · 75% · 3.5 / 5"
    assert cell("marketing:it") == "3 · 33.3% · 4.0 / 5"
    assert cell("none:it") == "2 · 100% · 3.0 / 5"
    assert cell("sales:hr") == "1 · 100% · 1.0 / 5"
    assert cell("marketing:hr") == "—"


def test_company_page_says_when_its_figures_were_computed(world, books, desk):
    page = desk.get(world.admin, f"/company/{WEEK}", NOW).content.decode()

    assert "Figures computed at 2027-02-19 17:00." in page


def test_services_are_ranked_by_breach_rate(world, books):
    ranking = [(r.service.name, r.measured, r.breached, r.filed) for r in company_week().ranking]

    assert ranking == [
        ("Software install", 2, 1, 3),  # C's resolution was late: 50%
        ("Laptop replacement", 7, 2, 5),  # B's and D's first responses were late: 2 of 7
        ("Employment certificate", 2, 0, 1),
    ]
    assert [r.breach_rate for r in company_week().ranking] == [50.0, pytest.approx(200 / 7), 0.0]


# --- the catalog ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "requests", "median", "within", "satisfaction", "ratings"),
    [
        # A B D E G O1 (O2 is older than 30 days); first replies 900, 3600, 21600, 23400; clocks 5 of 7 in time.
        ("laptop-replacement", 6, 12600, 500 / 7, 10 / 3, 3),
        # C F H; one first reply of 1,800 s; C's resolution was late.
        ("software-install", 3, 1800, 50.0, 4.0, 1),
        ("employment-certificate", 1, 1800, 100.0, 1.0, 1),
    ],
)
def test_catalog_snapshot_is_the_last_30_days_of_each_service(
    books, slug, requests, median, within, satisfaction, ratings
):
    snapshot = ServiceSnapshot.objects.get(service__slug=slug)

    assert snapshot.window_days == 30
    assert snapshot.requests == requests
    assert snapshot.median_response_seconds == median
    assert snapshot.within_sla_percent == pytest.approx(within)
    assert snapshot.satisfaction == pytest.approx(satisfaction)
    assert snapshot.rating_count == ratings


def test_catalog_shows_what_each_service_delivered(world, books, desk):
    page = desk.get(world.colleague, "/", NOW).content.decode()

    assert (
        "Last 30 days: 6 requests, median first response 3h 30m, 71.4% within the commitments, "
        "satisfaction 3.3 / 5 (3 ratings)."
    ) in page
    assert (
        "Last 30 days: 3 requests, median first response 30m, 50% within the commitments, "
        "satisfaction 4.0 / 5 (1 rating)."
    ) in page


def test_service_page_shows_what_it_delivered_next_to_its_promise(world, books, desk):
    page = desk.get(world.colleague, f"/services/{world.certificate.pk}/", NOW).content.decode()

    assert (
        "Last 30 days: 1 request, median first response 30m, 100% within the commitments, "
        "satisfaction 1.0 / 5 (1 rating)."
    ) in page


def test_a_service_without_requests_in_30_days_says_so(world, desk):
    page = desk.get(world.colleague, "/", NOW).content.decode()

    assert "No requests in the last 30 days yet." in page


# --- the monthly review --------------------------------------------------------------------------


def test_monthly_review_has_the_months_figures_next_to_the_month_before(world, books):
    review = dashboards.review_figures(world.it, FEB_1)
    february, january = review.current, review.previous

    assert (february.month, january.month) == (FEB_1, date(2027, 1, 1))
    assert (february.period.filed, january.period.filed) == (9, 2)  # O1 and the week's 8; O2 and P
    assert (february.period.first_response.compliance, january.period.first_response.compliance) == (60.0, 100.0)
    assert (february.period.first_response.median, january.period.first_response.median) == (3600, 3600)
    assert (february.period.resolution.compliance, january.period.resolution.compliance) == (75.0, 100.0)
    assert (february.period.resolution.median, january.period.resolution.median) == (25200, 28800)
    assert (february.period.satisfaction.average, january.period.satisfaction.average) == (3.5, 4.0)
    assert (february.backlog.total, january.backlog.total) == (6, 1)  # at the last day computed in each
    assert (february.kudos, january.kudos) == (1, 0)


def test_monthly_review_page_shows_the_comparison(world, books, desk):
    page = desk.get(world.lead, f"/departments/{world.it.slug}/reviews/2027-02/", NOW).content.decode()

    assert '<th scope="row">Requests filed</th><td>9</td><td>2</td>' in page
    assert '<th scope="row">First responses within target</th><td>60%</td><td>100%</td>' in page
    assert '<th scope="row">Median time to resolution</th><td>7h</td><td>1d</td>' in page
    assert '<th scope="row">Satisfaction</th><td>3.5 / 5 (4)</td><td>4.0 / 5 (1)</td>' in page
    assert '<th scope="row">Open at the end of the month</th><td>6</td><td>1</td>' in page
    assert '<th scope="row">Thanks received</th><td>1</td><td>0</td>' in page
    assert "Figures computed at 2027-02-19 17:00." in page
