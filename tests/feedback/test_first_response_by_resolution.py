"""A request resolved without an earlier public reply: the resolution note is its first response, on
time or late as its clock says, and the dashboards count it as such."""

from __future__ import annotations

from datetime import date

from requests_app.feedback.models import ServiceDay

from .desk import berlin, fresh

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
