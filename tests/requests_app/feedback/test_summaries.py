"""The summary tables behind the dashboards: a day's rows are recomputed whole from that day's activity,
so a refresh is idempotent and touches only the days it is given; the periodic tasks are on beat's
schedule, and ``manage.py refresh_summaries`` rebuilds older days. A request resolved without an earlier
public reply has its resolution note as its first response, and the day's rows count it as such.

X, a laptop request, is filed Monday 1 March 2027 at 09:00 Berlin, first answered Tuesday at 10:00
(9 business hours, late), resolved Wednesday at 11:00 (18 business hours, late), rated 4 and the agent
thanked on Wednesday afternoon. Y is filed Tuesday at 09:00 and stays open.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command

from requests_app.feedback import tasks
from requests_app.feedback.models import (
    DepartmentDay,
    MonthlyReview,
    RelationDay,
    ServiceDay,
    ServiceSnapshot,
    SummaryRun,
)
from requests_app.feedback.services.summaries import last_refresh, summaries_refresh
from servicedesk.celery import app as celery_app

from .desk import berlin, days, fresh

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MON, TUE, WED, THU, FRI = (date(2027, 3, d) for d in range(1, 6))
NOW = berlin(FRI, 18)


@pytest.fixture
def week(desk, world):
    x = desk.file(berlin(MON, 9))
    y = desk.file(berlin(TUE, 9))
    desk.reply(x, berlin(TUE, 10))
    desk.resolve(x, berlin(WED, 11))
    desk.rate(x, berlin(WED, 12), 4)
    desk.thank(x, berlin(WED, 12, 30), sender=world.requester, recipient=world.agent)
    return x, y


def rows() -> dict[str, list[tuple]]:
    """Every summary row without its id and computation time."""

    def values(model: Any, *order: str) -> list[tuple]:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", "computed_at")]
        return list(model.objects.order_by(*order).values_list(*fields))

    return {
        "service": values(ServiceDay, "day", "service_id"),
        "relation": values(RelationDay, "day", "requester_department_id", "department_id"),
        "department": values(DepartmentDay, "day", "department_id"),
        "snapshot": values(ServiceSnapshot, "service_id"),
    }


def laptop_day(world: Any, day: date) -> ServiceDay:
    return ServiceDay.objects.get(service=world.laptop, day=day)


def test_refreshing_the_same_days_twice_gives_the_same_rows(desk, week):
    desk.refresh(NOW, MON, FRI)
    first = rows()

    desk.refresh(NOW + timedelta(minutes=10), MON, FRI)

    assert rows() == first
    assert first["service"] and first["relation"] and first["department"] and first["snapshot"]


def test_a_refresh_replaces_a_days_rows_rather_than_adding_to_them(desk, week):
    desk.refresh(NOW, MON, FRI)
    desk.refresh(NOW, MON, FRI)

    assert ServiceDay.objects.filter(day=WED).count() == 1
    assert DepartmentDay.objects.filter(day=WED).count() == 2  # IT and HR


def test_a_days_row_counts_the_requests_filed_that_day(desk, world, week):
    desk.refresh(NOW, MON, FRI)

    assert [laptop_day(world, d).filed for d in (MON, TUE, WED)] == [1, 1, 0]


def test_a_first_response_counts_on_the_day_it_was_given(desk, world, week):
    desk.refresh(NOW, MON, FRI)

    tuesday = laptop_day(world, TUE)
    assert (tuesday.responded, tuesday.responded_with_target, tuesday.responded_in_time) == (1, 1, 0)
    assert tuesday.response_seconds == [9 * 3600]
    assert laptop_day(world, MON).responded == 0


def test_a_resolution_and_its_rating_count_on_the_day_they_happened(desk, world, week):
    desk.refresh(NOW, MON, FRI)

    wednesday = laptop_day(world, WED)
    assert (wednesday.resolved, wednesday.resolved_with_target, wednesday.resolved_in_time) == (1, 1, 0)
    assert wednesday.resolution_seconds == [18 * 3600]
    assert wednesday.ratings == [0, 0, 0, 1, 0]
    assert laptop_day(world, TUE).ratings == [0, 0, 0, 0, 0]


def test_a_days_refresh_counts_only_that_days_activity(desk, world, week):
    desk.refresh(NOW, TUE)

    assert list(ServiceDay.objects.values_list("day", flat=True)) == [TUE]
    tuesday = laptop_day(world, TUE)
    assert (tuesday.filed, tuesday.responded, tuesday.resolved, tuesday.ratings) == (1, 1, 0, [0, 0, 0, 0, 0])
    assert DepartmentDay.objects.get(day=TUE, department=world.it).kudos == 0


def test_refreshing_one_day_leaves_the_other_days_rows_alone(desk, world, week):
    desk.refresh(NOW, MON, WED)
    monday = laptop_day(world, MON).pk

    desk.refresh(NOW + timedelta(minutes=10), WED)

    assert laptop_day(world, MON).pk == monday


def test_a_day_without_activity_has_no_service_rows(desk, world, week):
    desk.refresh(NOW, THU)

    assert not ServiceDay.objects.exists()


def test_every_department_gets_a_backlog_row_each_day(desk, world, week):
    desk.refresh(NOW, MON, FRI)

    assert DepartmentDay.objects.filter(department=world.hr).count() == 5
    assert set(DepartmentDay.objects.filter(department=world.hr).values_list("backlog", flat=True)) == {0}


def test_the_backlog_of_past_days_is_what_was_open_at_their_end(desk, world, week):
    desk.refresh(NOW, MON, FRI)

    backlog = dict(DepartmentDay.objects.filter(department=world.it).values_list("day", "backlog"))
    assert backlog == {MON: 1, TUE: 2, WED: 1, THU: 1, FRI: 1}  # X resolved on Wednesday


def test_thanks_count_for_the_department_on_the_day_they_were_given(desk, world, week):
    desk.refresh(NOW, MON, FRI)

    kudos = dict(DepartmentDay.objects.filter(department=world.it).values_list("day", "kudos"))
    assert kudos == {MON: 0, TUE: 0, WED: 1, THU: 0, FRI: 0}


def test_activity_after_a_refresh_is_counted_by_the_next(desk, world):
    x = desk.file(berlin(TUE, 9))
    desk.refresh(berlin(TUE, 9, 30), TUE)
    desk.reply(x, berlin(TUE, 10))

    desk.refresh(berlin(TUE, 10, 30), TUE)

    assert laptop_day(world, TUE).responded == 1
    assert laptop_day(world, TUE).response_seconds == [3600]


def test_the_periodic_refresh_covers_yesterday_and_today(desk, week):
    with desk.at(berlin(TUE, 10, 30)):
        run = summaries_refresh(now=berlin(TUE, 10, 30))

    assert (run.first_day, run.last_day) == (MON, TUE)
    assert set(ServiceDay.objects.values_list("day", flat=True)) == {MON, TUE}


def test_a_refresh_records_when_it_ran(desk, week):
    desk.refresh(NOW, MON, FRI)

    run = last_refresh()
    assert (run.started_at, run.finished_at, run.first_day, run.last_day) == (NOW, NOW, MON, FRI)


def test_the_catalog_snapshot_forgets_requests_older_than_30_days(desk, world, week):
    desk.refresh(NOW, MON, FRI)
    assert ServiceSnapshot.objects.get(service=world.laptop).requests == 2

    later = NOW + timedelta(days=31)
    desk.refresh(later, later.date())

    assert not ServiceSnapshot.objects.filter(service=world.laptop).exists()


# --- the command and the tasks -------------------------------------------------------------------


def test_refresh_summaries_rebuilds_the_last_n_days(desk, world, week):
    out = io.StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("refresh_summaries", "--days", "3", stdout=out)

    run = SummaryRun.objects.get()
    assert (run.first_day, run.last_day) == (WED, FRI)
    assert set(ServiceDay.objects.values_list("day", flat=True)) == {WED}
    assert set(DepartmentDay.objects.values_list("day", flat=True)) == set(days(WED, FRI))
    assert out.getvalue().startswith("Summaries of 2027-03-03 to 2027-03-05 rebuilt in ")


def test_refresh_summaries_gives_the_same_rows_as_the_refresh_it_repeats(desk, world, week):
    desk.refresh(NOW, MON, FRI)
    expected = rows()

    with time_machine.travel(NOW, tick=False):
        call_command("refresh_summaries", "--days", "5", stdout=io.StringIO())

    assert rows() == expected


@pytest.mark.parametrize("number", ["0", "-1", "3661"])
def test_refresh_summaries_refuses_a_senseless_number_of_days(db, number):
    with pytest.raises(CommandError):
        call_command("refresh_summaries", "--days", number, stdout=io.StringIO())


@pytest.mark.parametrize(
    ("task", "every"),
    [
        ("requests_app.feedback_sweep", "FEEDBACK_SWEEP_SECONDS"),
        ("requests_app.stats_refresh", "SUMMARIES_REFRESH_SECONDS"),
    ],
)
def test_beat_runs_the_feedback_loops_periodic_tasks(task, every):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task]

    assert entry["schedule"] == getattr(settings, every)
    assert task in celery_app.tasks


def test_the_feedback_mail_task_is_registered():
    assert tasks.deliver_feedback_mail.name == "requests_app.deliver_feedback_mail"
    assert "requests_app.deliver_feedback_mail" in celery_app.tasks


def test_the_summaries_refresh_task_refreshes_yesterday_and_today(desk, week):
    with desk.at(NOW):
        tasks.summaries_refresh.delay()

    run = SummaryRun.objects.get()
    assert (run.first_day, run.last_day) == (THU, FRI)


def test_the_feedback_sweep_task_sends_what_is_due(desk, world):
    monday = berlin(date(2027, 5, 3), 9)  # the first working day of May

    with desk.at(monday):
        result = tasks.feedback_sweep.delay().get()

    assert result == {"closed": 0, "enqueued": 1}
    assert MonthlyReview.objects.get().sent_at == monday


# --- a resolution without an earlier public reply ------------------------------------------------
# The resolution note is its first response, on time or late as its clock says, and the day's rows count it
# as such.

MONDAY = date(2027, 3, 1)


def test_resolving_without_a_reply_makes_the_resolution_the_first_response(desk):
    sr = desk.file(berlin(MONDAY, 9))
    desk.resolve(sr, berlin(MONDAY, 10))

    sr = fresh(sr)

    assert sr.first_responded_at == sr.resolved_at
    assert sr.first_response_used_seconds == 3600
    assert sr.first_response_breached_at is None


def test_a_late_resolution_without_a_reply_counts_as_a_late_first_response(desk):
    sr = desk.file(berlin(MONDAY, 9))  # the laptop service promises a first response within 4 business hours
    desk.resolve(sr, berlin(MONDAY, 15))
    desk.refresh(berlin(MONDAY, 18), MONDAY)

    row = ServiceDay.objects.get(day=MONDAY, service=sr.service)

    assert (row.responded, row.responded_with_target, row.responded_in_time) == (1, 1, 0)
    assert row.response_seconds == [6 * 3600]


def test_a_reply_before_the_resolution_stays_the_first_response(desk):
    sr = desk.file(berlin(MONDAY, 9))
    desk.reply(sr, berlin(MONDAY, 9, 30))
    desk.resolve(sr, berlin(MONDAY, 11))

    assert fresh(sr).first_responded_at == berlin(MONDAY, 9, 30)
