"""Django admin for the SLA engine: business calendars, the holiday import, policies and their preview, reminder rules.

Whatever the admin accepts, the business-time arithmetic must be able to
compute with; whatever it refuses, it refuses with a message that says what
is wrong, and saves nothing.
"""

from __future__ import annotations

import html
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from departments.admin import policy_preview
from departments.business_time import format_duration
from departments.models import BusinessCalendar, Holiday, ReminderRule, SLAPolicy, SLATarget, WorkingInterval

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

BERLIN = ZoneInfo("Europe/Berlin")
# A Friday, one business hour before closing on a 09-17 calendar.
FRIDAY_16_BERLIN = datetime(2026, 11, 20, 16, 0, tzinfo=BERLIN)


@pytest.fixture
def admin_client_(world: Any, client_for: Any) -> Any:
    return client_for(world.admin)


def text(response: Any) -> str:
    """The page with entities decoded, so messages compare as written (quotes are escaped in HTML)."""
    return html.unescape(response.content.decode())


def management(prefix: str, total: int, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def make_calendar(
    name: str = "Berlin office",
    time_zone: str = "Europe/Berlin",
    hours: dict[int, list[tuple[str, str]]] | None = None,
) -> BusinessCalendar:
    """Monday to Friday 09:00-17:00 unless ``hours`` says otherwise."""
    calendar = BusinessCalendar.objects.create(name=name, time_zone=time_zone)
    for weekday, intervals in (hours or {day: [("09:00", "17:00")] for day in range(5)}).items():
        for start, end in intervals:
            WorkingInterval.objects.create(
                calendar=calendar, weekday=weekday, start=time.fromisoformat(start), end=time.fromisoformat(end)
            )
    return calendar


# --- business calendars --------------------------------------------------------------------------


def calendar_data(
    *intervals: tuple[int, str, str],
    holidays: tuple[tuple[str, str], ...] = (),
    name: str = "Berlin office",
    time_zone: str = "Europe/Berlin",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "time_zone": time_zone,
        **management("intervals", len(intervals)),
        **management("holidays", len(holidays)),
        "_save": "Save",
    }
    for i, (weekday, start, end) in enumerate(intervals):
        data.update({f"intervals-{i}-weekday": weekday, f"intervals-{i}-start": start, f"intervals-{i}-end": end})
    for i, (day, holiday_name) in enumerate(holidays):
        data.update({f"holidays-{i}-date": day, f"holidays-{i}-name": holiday_name})
    return data


def post_calendar(admin_client_: Any, data: dict[str, Any]) -> Any:
    return admin_client_.post(reverse("admin:departments_businesscalendar_add"), data)


def assert_no_calendar_saved() -> None:
    assert not BusinessCalendar.objects.exists()
    assert not WorkingInterval.objects.exists()
    assert not Holiday.objects.exists()


def test_calendar_with_a_lunch_break_on_weekdays_is_saved(world, admin_client_):
    intervals = [(day, start, end) for day in range(5) for start, end in [("08:00", "12:00"), ("13:00", "17:00")]]

    response = post_calendar(admin_client_, calendar_data(*intervals, holidays=(("2026-12-24", "Christmas Eve"),)))

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Berlin office")
    arithmetic = calendar.to_sla_calendar()
    assert arithmetic.tz == BERLIN
    assert arithmetic.weekly[0] == ((480, 720), (780, 1020))
    assert arithmetic.weekly[4] == ((480, 720), (780, 1020))
    assert arithmetic.weekly[5] == ()
    assert arithmetic.holidays == frozenset({date(2026, 12, 24)})


def test_interval_ending_at_00_00_runs_to_midnight(world, admin_client_):
    response = post_calendar(admin_client_, calendar_data((5, "18:00", "00:00")))

    assert response.status_code == 302
    assert BusinessCalendar.objects.get().to_sla_calendar().weekly[5] == ((18 * 60, 24 * 60),)


def test_overlapping_intervals_on_a_day_are_refused_naming_the_day_and_both_intervals(world, admin_client_):
    data = calendar_data((0, "09:00", "17:00"), (1, "08:00", "12:00"), (1, "11:00", "13:00"))

    response = post_calendar(admin_client_, data)

    assert response.status_code == 200
    assert "Tuesday: 08:00-12:00 overlaps 11:00-13:00." in text(response)
    assert_no_calendar_saved()


def test_calendar_without_working_time_is_refused(world, admin_client_):
    response = post_calendar(admin_client_, calendar_data(holidays=(("2026-12-24", "Christmas Eve"),)))

    assert response.status_code == 200
    assert "The calendar has no working time on any day of the week." in text(response)
    assert_no_calendar_saved()


@pytest.mark.parametrize(("start", "end"), [("17:00", "09:00"), ("09:00", "09:00")])
def test_interval_whose_end_is_not_after_its_start_is_refused(world, admin_client_, start, end):
    response = post_calendar(admin_client_, calendar_data((0, start, end)))

    assert response.status_code == 200
    page = text(response)
    assert "The end must be after the start (use 00:00 for midnight)." in page
    assert "no working time" not in page  # the broken row is the problem, not the week
    assert_no_calendar_saved()


def test_unknown_time_zone_is_refused(world, admin_client_):
    response = post_calendar(admin_client_, calendar_data((0, "09:00", "17:00"), time_zone="Mars/Olympus_Mons"))

    assert response.status_code == 200
    assert "“Mars/Olympus_Mons” is not a time zone name such as Europe/Berlin or America/New_York." in text(response)
    assert_no_calendar_saved()


def test_the_same_holiday_twice_is_refused(world, admin_client_):
    data = calendar_data((0, "09:00", "17:00"), holidays=(("2026-12-24", "Christmas Eve"), ("2026-12-24", "Eve")))

    response = post_calendar(admin_client_, data)

    assert response.status_code == 200
    assert "2026-12-24 is listed twice; keep one row for it." in text(response)
    assert_no_calendar_saved()


def existing_calendar_data(calendar: BusinessCalendar, *new: tuple[int, str, str], delete_all: bool = False) -> dict:
    """The change page's POST as shown, plus ``new`` intervals; ``delete_all`` ticks every row's delete box."""
    rows = list(calendar.intervals.all())
    data: dict[str, Any] = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        **management("intervals", len(rows) + len(new), initial=len(rows)),
        **management("holidays", 0),
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data.update(
            {
                f"intervals-{i}-id": row.pk,
                f"intervals-{i}-calendar": calendar.pk,
                f"intervals-{i}-weekday": row.weekday,
                f"intervals-{i}-start": f"{row.start:%H:%M}",
                f"intervals-{i}-end": f"{row.end:%H:%M}",
            }
        )
        if delete_all:
            data[f"intervals-{i}-DELETE"] = "on"
    for i, (weekday, start, end) in enumerate(new, start=len(rows)):
        data.update({f"intervals-{i}-weekday": weekday, f"intervals-{i}-start": start, f"intervals-{i}-end": end})
    return data


def test_adding_an_overlapping_interval_to_a_saved_calendar_is_refused(world, admin_client_):
    calendar = make_calendar()

    response = admin_client_.post(
        reverse("admin:departments_businesscalendar_change", args=[calendar.pk]),
        existing_calendar_data(calendar, (2, "16:00", "18:00")),
    )

    assert response.status_code == 200
    assert "Wednesday: 09:00-17:00 overlaps 16:00-18:00." in text(response)
    assert calendar.intervals.count() == 5


def test_deleting_every_interval_of_a_saved_calendar_is_refused(world, admin_client_):
    calendar = make_calendar()

    response = admin_client_.post(
        reverse("admin:departments_businesscalendar_change", args=[calendar.pk]),
        existing_calendar_data(calendar, delete_all=True),
    )

    assert response.status_code == 200
    assert "The calendar has no working time on any day of the week." in text(response)
    assert calendar.intervals.count() == 5


def test_calendar_change_page_summarises_the_working_week(world, admin_client_):
    lunch_break = [("08:00", "12:00"), ("13:00", "17:00")]
    calendar = make_calendar(hours={**{day: lunch_break for day in range(5)}, 5: [("10:00", "14:00")]})

    response = admin_client_.get(reverse("admin:departments_businesscalendar_change", args=[calendar.pk]))

    assert response.status_code == 200
    assert "Mon-Fri 08:00-12:00 and 13:00-17:00, Sat 10:00-14:00" in text(response)


def test_calendar_changelist_shows_each_week_and_its_holiday_count(world, admin_client_):
    calendar = make_calendar()
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 25), name="Christmas Day")

    response = admin_client_.get(reverse("admin:departments_businesscalendar_changelist"))

    assert response.status_code == 200
    assert "Mon-Fri 09:00-17:00" in text(response)
    assert '<td class="field-holiday_count">1</td>' in response.content.decode()


# --- holiday import ------------------------------------------------------------------------------


def import_holidays(admin_client_: Any, calendars: list[BusinessCalendar], **form: Any) -> Any:
    data = {
        "action": "import_public_holidays",
        "_selected_action": [c.pk for c in calendars],
        "apply": "Import holidays",
        "country": "DE",
        "subdiv": "",
        "year_from": "2026",
        "year_to": "2026",
        **form,
    }
    return admin_client_.post(reverse("admin:departments_businesscalendar_changelist"), data)


def messages_shown_after(admin_client_: Any, response: Any) -> list[str]:
    """Follows the action's redirect to the changelist, which shows (and so uses up) the messages."""
    assert response.status_code == 302
    return [str(m) for m in admin_client_.get(response["Location"]).context["messages"]]


def test_import_action_first_asks_what_to_import(world, admin_client_):
    calendar = make_calendar()
    data = {"action": "import_public_holidays", "_selected_action": [calendar.pk], "index": "0"}

    response = admin_client_.post(reverse("admin:departments_businesscalendar_changelist"), data)

    assert response.status_code == 200
    page = text(response)
    assert "Berlin office (Europe/Berlin)" in page
    for field in ("country", "subdiv", "year_from", "year_to"):
        assert f'name="{field}"' in page
    assert not Holiday.objects.exists()


def test_importing_german_holidays_for_2026_adds_them_to_the_calendar(world, admin_client_):
    calendar = make_calendar()

    response = import_holidays(admin_client_, [calendar])

    assert response.status_code == 302
    days = dict(calendar.holidays.values_list("date", "name"))
    assert days[date(2026, 10, 3)] == "German Unity Day"
    assert days[date(2026, 12, 25)] == "Christmas Day"
    assert all(day.year == 2026 for day in days)
    assert messages_shown_after(admin_client_, response) == [
        f"Imported {len(days)} holidays (0 already there) into Berlin office."
    ]


def test_importing_the_same_holidays_again_adds_nothing_and_keeps_edited_names(world, admin_client_):
    calendar = make_calendar()
    messages_shown_after(admin_client_, import_holidays(admin_client_, [calendar]))
    calendar.holidays.filter(date=date(2026, 12, 25)).update(name="Office closed")
    before = calendar.holidays.count()

    response = import_holidays(admin_client_, [calendar])

    assert response.status_code == 302
    assert calendar.holidays.count() == before
    assert calendar.holidays.get(date=date(2026, 12, 25)).name == "Office closed"
    assert messages_shown_after(admin_client_, response) == [
        f"Imported 0 holidays ({before} already there) into Berlin office."
    ]


def test_importing_into_several_calendars_reports_each(world, admin_client_):
    berlin, munich = make_calendar(), make_calendar("Munich office")

    response = import_holidays(admin_client_, [berlin, munich], subdiv="by")

    assert response.status_code == 302
    assert munich.holidays.filter(date=date(2026, 1, 6)).exists()  # Epiphany, in Bavaria only
    assert berlin.holidays.count() == munich.holidays.count() > 9
    assert len(messages_shown_after(admin_client_, response)) == 2


def test_import_with_an_unknown_country_is_a_form_error(world, admin_client_):
    calendar = make_calendar()

    response = import_holidays(admin_client_, [calendar], country="XX")

    assert response.status_code == 200
    assert "The holidays package knows no country “XX”: use an ISO code such as DE, US or GB." in text(response)
    assert not Holiday.objects.exists()


def test_import_with_an_unknown_subdivision_is_a_form_error(world, admin_client_):
    calendar = make_calendar()

    response = import_holidays(admin_client_, [calendar], subdiv="ZZ")

    assert response.status_code == 200
    page = text(response)
    assert "DE has no subdivision “ZZ”; known ones:" in page
    assert "BY" in page
    assert not Holiday.objects.exists()


def test_import_of_more_than_ten_years_is_refused(world, admin_client_):
    calendar = make_calendar()

    response = import_holidays(admin_client_, [calendar], year_from="2026", year_to="2036")

    assert response.status_code == 200
    assert "Import at most 10 years at a time." in text(response)
    assert not Holiday.objects.exists()


# --- SLA policies --------------------------------------------------------------------------------


def policy_data(
    *targets: tuple[str, str, str], name: str = "Premium", thresholds: str = "75", round_the_clock: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "description": "",
        "warning_thresholds": thresholds,
        **management("targets", len(targets)),
        "_save": "Save",
    }
    if round_the_clock:
        data["round_the_clock"] = "on"
    for i, (priority, first_response, resolution) in enumerate(targets):
        data.update(
            {
                f"targets-{i}-priority": priority,
                f"targets-{i}-first_response_minutes": first_response,
                f"targets-{i}-resolution_minutes": resolution,
            }
        )
    return data


def post_policy(admin_client_: Any, data: dict[str, Any]) -> Any:
    return admin_client_.post(reverse("admin:departments_slapolicy_add"), data)


def target_form_errors(response: Any) -> dict[str, list[str]]:
    """Errors of the target rows by field, to check a message is shown at its field."""
    formset = response.context["inline_admin_formsets"][0].formset
    errors: dict[str, list[str]] = {}
    for form in formset.forms:
        for field, messages in form.errors.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def assert_no_policy_saved() -> None:
    assert not SLAPolicy.objects.filter(name="Premium").exists()
    assert not SLATarget.objects.filter(policy__name="Premium").exists()


def test_policy_targets_entered_as_durations_are_stored_in_minutes(world, admin_client_):
    data = policy_data(
        ("normal", "4h", "2d 4h"), ("critical", "30", "1h 30m"), thresholds="90, 50", round_the_clock=True
    )

    response = post_policy(admin_client_, data)

    assert response.status_code == 302
    policy = SLAPolicy.objects.get(name="Premium")
    targets = {t.priority: (t.first_response_minutes, t.resolution_minutes) for t in policy.targets.all()}
    assert targets == {"normal": (240, 1200), "critical": (30, 90)}
    assert policy.round_the_clock is True
    assert policy.warning_thresholds == "50, 90"


def test_new_policy_offers_a_row_per_priority_and_saves_only_the_filled_ones(world, admin_client_):
    add_page = admin_client_.get(reverse("admin:departments_slapolicy_add"))
    offered = [form.initial.get("priority") for form in add_page.context["inline_admin_formsets"][0].formset.forms]
    data = policy_data(("critical", "", ""), ("high", "", ""), ("normal", "4h", "2d"), ("low", "", ""))

    response = post_policy(admin_client_, data)

    assert offered == ["critical", "high", "normal", "low"]
    assert response.status_code == 302
    assert list(SLAPolicy.objects.get(name="Premium").targets.values_list("priority", flat=True)) == ["normal"]


def test_change_page_shows_stored_minutes_as_durations(world, admin_client_):
    policy = factories.make_policy("Premium", normal=(240, 1200))

    page = text(admin_client_.get(reverse("admin:departments_slapolicy_change", args=[policy.pk])))

    assert 'value="4h"' in page
    assert 'value="2d 4h"' in page


def test_resolution_target_shorter_than_first_response_is_refused_at_the_field(world, admin_client_):
    response = post_policy(admin_client_, policy_data(("normal", "1d", "4h")))

    assert response.status_code == 200
    assert target_form_errors(response) == {
        "resolution_minutes": ["The resolution target cannot be shorter than the first-response target."]
    }
    assert_no_policy_saved()


def test_unreadable_duration_is_refused_at_the_field(world, admin_client_):
    response = post_policy(admin_client_, policy_data(("normal", "4x", "2d")))

    assert response.status_code == 200
    assert target_form_errors(response) == {
        "first_response_minutes": ["Cannot read '4x': use d (8-hour business days), h and m, e.g. 2d 4h."]
    }
    assert 'value="4x"' in text(response)  # what was typed stays there to be corrected
    assert_no_policy_saved()


@pytest.mark.parametrize("zero", ["0", "0h", "0d 0m"])
def test_zero_target_is_refused(world, admin_client_, zero):
    response = post_policy(admin_client_, policy_data(("normal", zero, "2d")))

    assert response.status_code == 200
    assert target_form_errors(response) == {
        "first_response_minutes": [
            "A target of zero is breached the moment a request is filed; enter at least 1 minute."
        ]
    }
    assert_no_policy_saved()


def test_two_targets_for_one_priority_are_refused(world, admin_client_):
    response = post_policy(admin_client_, policy_data(("normal", "4h", "2d"), ("normal", "2h", "1d")))

    assert response.status_code == 200
    assert "This policy already has a normal target; keep one row for it." in text(response)
    assert_no_policy_saved()


@pytest.mark.parametrize("threshold", ["0", "100", "abc"])
def test_warning_threshold_outside_1_to_99_percent_is_refused(world, admin_client_, threshold):
    response = post_policy(admin_client_, policy_data(("normal", "4h", "2d"), thresholds=f"50, {threshold}"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "warning_thresholds": [f"“{threshold}” is not a warning threshold: use whole percentages from 1 to 99."]
    }
    assert_no_policy_saved()


def test_saving_a_policy_change_page_as_shown_keeps_its_targets(world, admin_client_):
    policy = factories.make_policy("Premium", normal=(240, 1200))
    rows = list(policy.targets.all())
    shown = [
        (t.priority, format_duration(t.first_response_minutes), format_duration(t.resolution_minutes)) for t in rows
    ]
    data = policy_data(*shown)
    data["targets-INITIAL_FORMS"] = str(len(rows))
    for i, target in enumerate(rows):
        data.update({f"targets-{i}-id": target.pk, f"targets-{i}-policy": policy.pk})

    response = admin_client_.post(reverse("admin:departments_slapolicy_change", args=[policy.pk]), data)

    assert response.status_code == 302
    assert policy.targets.get(priority="normal").resolution_minutes == 1200
    assert policy.targets.count() == 4


# --- policy preview ------------------------------------------------------------------------------


def test_preview_shows_due_times_on_the_calendar_of_the_department_using_the_policy(world, admin_client_):
    world.it.calendar = make_calendar()
    world.it.save(update_fields=["calendar"])
    policy = world.it.default_sla_policy  # normal: 4h to first response, 16h to resolution

    with time_machine.travel(FRIDAY_16_BERLIN, tick=False):
        response = admin_client_.get(reverse("admin:departments_slapolicy_change", args=[policy.pk]))

    page = text(response)
    assert "Filed now (Fri 20 Nov 2026 16:00 CET) on <strong>Berlin office</strong>" in page
    assert "used by IT" in page
    assert (
        "A normal request filed now would get a first response by Mon 23 Nov 2026 12:00 CET,"
        " a resolution by Tue 24 Nov 2026 16:00 CET." in page
    )
    assert "<strong>the default calendar</strong>" in page  # HR has no calendar of its own
    assert "used by HR" in page


def test_preview_skips_holidays_and_names_services_with_their_own_calendar(world, admin_client_):
    london = make_calendar("London office", "Europe/London")
    world.laptop.calendar = make_calendar()
    world.laptop.save(update_fields=["calendar"])
    Holiday.objects.create(calendar=world.laptop.calendar, date=date(2026, 11, 23), name="Office closed")
    world.it.calendar = london
    world.it.save(update_fields=["calendar"])

    with time_machine.travel(FRIDAY_16_BERLIN, tick=False):
        page = str(policy_preview(world.it.default_sla_policy, datetime.now(tz=BERLIN)))

    assert "used by IT: Laptop replacement" in page
    assert "A normal request filed now would get a first response by Tue 24 Nov 2026 12:00 CET" in page
    # 15:00 in London: two hours on Friday, two on Monday.
    assert "A normal request filed now would get a first response by Mon 23 Nov 2026 11:00 GMT" in page


def test_preview_of_a_policy_nobody_uses_runs_on_the_default_calendar(world, admin_client_):
    policy = factories.make_policy("Unused")

    page = text(admin_client_.get(reverse("admin:departments_slapolicy_change", args=[policy.pk])))

    assert "<strong>the default calendar</strong>" in page
    assert "used by no department or service yet" in page
    assert "A critical request filed now would get a first response by" in page


@pytest.mark.parametrize("departments", [1, 6])
def test_preview_query_count_does_not_grow_with_departments_and_holidays(world, departments, django_assert_num_queries):
    policy = factories.make_policy("Shared")
    for n in range(departments):
        calendar = make_calendar(f"Office {n}")
        Holiday.objects.create(calendar=calendar, date=date(2026, 12, 25), name="Christmas Day")
        department = factories.make_department(default_sla_policy=policy, calendar=calendar)
        factories.make_service(department, calendar=make_calendar(f"Service office {n}"))
    policy = SLAPolicy.objects.get(pk=policy.pk)

    # targets, departments, services, calendars, their intervals, their holidays
    with django_assert_num_queries(6):
        page = str(policy_preview(policy, FRIDAY_16_BERLIN))

    assert page.count("A critical request filed now") == 2 * departments


# --- reminder rules, departments, services -------------------------------------------------------


def reminder_rule_data(world: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "department": world.it.pk,
        "remind_requester_after_hours": "16",
        "promise_reminder_minutes": "60",
        "auto_close_after_days": "5",
        "auto_close_warning_days": "1",
        "request_feedback": "on",
        "escalate_to_leads": "on",
        "extra_escalation_emails": "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def post_reminder_rule(admin_client_: Any, data: dict[str, Any]) -> Any:
    return admin_client_.post(reverse("admin:departments_reminderrule_add"), data)


def test_reminder_rule_with_escalation_addresses_is_saved(world, admin_client_):
    data = reminder_rule_data(world, extra_escalation_emails="boss@example.com\nops@example.com")

    response = post_reminder_rule(admin_client_, data)

    assert response.status_code == 302
    assert ReminderRule.objects.get(department=world.it).extra_escalation_list == [
        "boss@example.com",
        "ops@example.com",
    ]


def test_escalation_address_that_is_not_an_email_is_refused(world, admin_client_):
    data = reminder_rule_data(world, extra_escalation_emails="boss@example.com, not-an-address")

    response = post_reminder_rule(admin_client_, data)

    assert response.status_code == 200
    assert "“not-an-address” is not an email address." in text(response)
    assert not ReminderRule.objects.exists()


def test_auto_close_warning_not_before_the_auto_close_is_refused(world, admin_client_):
    data = reminder_rule_data(world, auto_close_after_days="2", auto_close_warning_days="2")

    response = post_reminder_rule(admin_client_, data)

    assert response.status_code == 200
    assert "The last warning must come before the auto-close (fewer days)." in text(response)
    assert not ReminderRule.objects.exists()


def department_change_data(world: Any, **rule: Any) -> dict[str, Any]:
    """IT's change page as shown, with the reminder rule inline filled with ``rule``."""
    department = world.it
    members = list(department.memberships.all())
    data: dict[str, Any] = {
        "name": department.name,
        "slug": department.slug,
        "reference_prefix": department.reference_prefix,
        "description": department.description,
        "queue_email": department.queue_email,
        "is_active": "on",
        "default_sla_policy": department.default_sla_policy_id,
        "calendar": "",
        "assignment_rule": "manual",
        **management("memberships", len(members), initial=len(members)),
        **management("reminder_rule", 1),
        **management("canned_responses", 0),
        "_save": "Save",
    }
    for i, membership in enumerate(members):
        data.update(
            {
                f"memberships-{i}-id": membership.pk,
                f"memberships-{i}-department": department.pk,
                f"memberships-{i}-user": membership.user_id,
                f"memberships-{i}-role": membership.role,
                f"memberships-{i}-is_available": "on" if membership.is_available else "",
            }
        )
    data.update({f"reminder_rule-0-{key}": value for key, value in rule.items()})
    return data


def test_department_change_page_offers_calendar_policy_and_reminder_rule(world, admin_client_):
    page = text(admin_client_.get(reverse("admin:departments_department_change", args=[world.it.pk])))

    assert 'name="calendar"' in page
    assert 'name="default_sla_policy"' in page
    assert 'name="reminder_rule-0-extra_escalation_emails"' in page


def test_department_saved_without_touching_the_reminder_rule_keeps_the_defaults(world, admin_client_):
    calendar = make_calendar()
    data = department_change_data(
        world,
        remind_requester_after_hours="16",
        promise_reminder_minutes="60",
        auto_close_after_days="5",
        auto_close_warning_days="1",
        request_feedback="on",
        escalate_to_leads="on",
        extra_escalation_emails="",
    )
    data["calendar"] = calendar.pk

    response = admin_client_.post(reverse("admin:departments_department_change", args=[world.it.pk]), data)

    assert response.status_code == 302
    world.it.refresh_from_db()
    assert world.it.calendar == calendar
    assert not ReminderRule.objects.exists()


def test_reminder_rule_is_set_on_the_department_page(world, admin_client_):
    data = department_change_data(
        world,
        remind_requester_after_hours="8",
        promise_reminder_minutes="30",
        auto_close_after_days="3",
        auto_close_warning_days="1",
        escalate_to_leads="on",
        extra_escalation_emails="ops@example.com",
    )

    response = admin_client_.post(reverse("admin:departments_department_change", args=[world.it.pk]), data)

    assert response.status_code == 302
    rule = ReminderRule.objects.get(department=world.it)
    assert (rule.remind_requester_after_hours, rule.auto_close_after_days, rule.request_feedback) == (8, 3, False)


def test_bad_escalation_address_on_the_department_page_is_refused(world, admin_client_):
    data = department_change_data(
        world,
        remind_requester_after_hours="16",
        promise_reminder_minutes="60",
        auto_close_after_days="5",
        auto_close_warning_days="1",
        extra_escalation_emails="nobody",
    )

    response = admin_client_.post(reverse("admin:departments_department_change", args=[world.it.pk]), data)

    assert response.status_code == 200
    assert "“nobody” is not an email address." in text(response)
    assert not ReminderRule.objects.exists()


def test_service_change_page_offers_calendar_and_policy(world, admin_client_):
    page = text(admin_client_.get(reverse("admin:departments_service_change", args=[world.laptop.pk])))

    assert 'name="calendar"' in page
    assert 'name="sla_policy"' in page


@pytest.mark.parametrize("model", ["businesscalendar", "reminderrule"])
def test_admin_opens_the_new_changelists_and_add_pages(world, admin_client_, model):
    assert admin_client_.get(reverse(f"admin:departments_{model}_changelist")).status_code == 200
    assert admin_client_.get(reverse(f"admin:departments_{model}_add")).status_code == 200
