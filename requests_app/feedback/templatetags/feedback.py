"""Template tags of the feedback loop (``{% load feedback %}``): its figures, charts and wordings.

They live in the feedback app because the desk must not import it (DESIGN.md, "Architecture"): the desk's
own library, ``servicedesk``, knows nothing of charts, ratings or snapshots.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from departments.business_time import format_duration
from requests_app.feedback.charts import bar_chart, line_chart
from requests_app.templatetags.servicedesk import person_name

if TYPE_CHECKING:
    from departments.models import Service
    from requests_app.feedback.models import Assessment, AssessmentAction, Kudos, ServiceSnapshot
    from requests_app.feedback.selectors.dashboards import Cell
    from requests_app.models import ServiceRequest

register = template.Library()

NO_FIGURE = "—"


@register.filter
def percent(value: float | None) -> str:
    """66.666 -> "66.7%", 100.0 -> "100%"; nothing measured -> "—" (never a made-up 0% or 100%)."""
    if value is None:
        return NO_FIGURE
    places = 0 if round(value, 1) == round(value) else 1
    # Translators: a share, e.g. "71.4%" (German: "71,4 %").
    return gettext("%(number)s%%") % {"number": number_format(round(value, places), decimal_pos=places)}


@register.filter
def business_seconds(value: float | None) -> str:
    """Business seconds as people say them ("1d 2h 5m", days of 8 hours); "—" when there is no figure."""
    if value is None:
        return NO_FIGURE
    minutes = int(round(value) // 60)
    return format_duration(minutes) if minutes else gettext("under a minute")


@register.filter
def rating(value: float | None) -> str:
    """4.333 -> "4.3 / 5"; no ratings -> "—"."""
    if value is None:
        return NO_FIGURE
    # Translators: an average rating out of 5, e.g. "4.3 / 5".
    return gettext("%(average)s / 5") % {"average": number_format(round(value, 1), decimal_pos=1)}


@register.filter
def signed_change(value: float | None) -> str:
    """+0.4 / −1.2 / ±0 for comparisons with an earlier period; "—" when there is nothing to compare."""
    if value is None:
        return NO_FIGURE
    if abs(value) < 0.05:
        return "±0"
    number = number_format(round(abs(value), 1), decimal_pos=1)
    return f"+{number}" if value > 0 else f"−{number}"


@register.simple_tag
def trend_chart(weeks: list, attribute: str, title: str) -> SafeString:
    """A 12-week line of ``attribute`` (a dotted path into each week, e.g. "period.first_response.compliance")."""

    def value(week: object) -> float | None:
        current = week
        for part in attribute.split("."):
            current = getattr(current, part)
        return None if current is None else float(current)

    labels = [date_filter(week.start, "d M") for week in weeks]  # "07 Sep", the month in the active language
    return line_chart([value(w) for w in weeks], labels, title=title)


@register.simple_tag
def bars(items: list, title: str) -> SafeString:
    """Bars for (label-or-object, count) pairs."""
    return bar_chart([n for _, n in items], [str(getattr(x, "name", x)) for x, _ in items], title=title)


@register.simple_tag
def service_delivered(service: Service) -> str:
    """What a service delivered in the last 30 days, said next to its promise in the catalog.

    From the service's snapshot (joined by the catalog's query, see ``FeedbackExtension.service_joins``);
    a service without one, or without requests in the window, says so instead of showing zeros.
    """
    snapshot: ServiceSnapshot | None = getattr(service, "snapshot", None)
    if not snapshot or not snapshot.requests:
        return gettext("No requests in the last 30 days yet.")
    values = {
        "days": snapshot.window_days,
        "requests": ngettext("%(count)s request", "%(count)s requests", snapshot.requests)
        % {"count": snapshot.requests},
        "median": business_seconds(snapshot.median_response_seconds),
        "within": percent(snapshot.within_sla_percent),
        "satisfaction": rating(snapshot.satisfaction),
    }
    if snapshot.rating_count:
        values["ratings"] = ngettext("%(count)s rating", "%(count)s ratings", snapshot.rating_count) % {
            "count": snapshot.rating_count
        }
        # Translators: what a service delivered, shown next to its promise in the catalog, e.g. "Last 30 days:
        # 12 requests, median first response 1h 30m, 91.7% within the commitments, satisfaction 4.3 / 5
        # (7 ratings)."
        text = gettext(
            "Last %(days)s days: %(requests)s, median first response %(median)s, %(within)s within the "
            "commitments, satisfaction %(satisfaction)s (%(ratings)s)."
        )
    else:
        # Translators: what a service delivered, shown next to its promise in the catalog, e.g. "Last 30 days:
        # 12 requests, median first response 1h 30m, 91.7% within the commitments, satisfaction —."
        text = gettext(
            "Last %(days)s days: %(requests)s, median first response %(median)s, %(within)s within the "
            "commitments, satisfaction %(satisfaction)s."
        )
    return text % values


def _local_date(moment: date | datetime | None, format_string: str) -> str:
    """A date or moment as ``|date`` prints it: a moment in the current time zone; "" for none."""
    return date_filter(timezone.template_localtime(moment), format_string)


@register.simple_tag
def assessment_status(assessment: Assessment) -> str:
    """An assessment's state with the date that matters now: when it closes, or when it closed."""
    status = assessment.get_status_display()
    if assessment.status == "open":
        # Translators: e.g. "Open for answers · closes 3 Mar 2027 17:00".
        text = gettext("%(status)s · closes %(when)s")
        return text % {"status": status, "when": _local_date(assessment.closes_at, "j M Y H:i")}
    # Translators: e.g. "Closed · closed 3 Mar 2027".
    return gettext("%(status)s · closed %(when)s") % {
        "status": status,
        "when": _local_date(assessment.closed_at, "j M Y"),
    }


@register.simple_tag
def action_details(action: AssessmentAction, today: date | None = None) -> SafeString:
    """Who owns an assessment action, when it is due and for which criterion ("· Ann · due 3 Mar 2027").

    Given ``today``, also whether it is done or overdue: the assessment's page tracks actions to the end,
    while the dashboard lists only open ones.
    """
    # Translators: when an assessment action is due, e.g. "due 3 Mar 2027".
    parts = [person_name(action.owner), gettext("due %(date)s") % {"date": _local_date(action.due_on, "j M Y")}]
    if action.criterion:
        parts.append(action.criterion.label)
    if today is not None and action.done_at:
        # Translators: when an assessment action was done, e.g. "done 5 Mar".
        parts.append(gettext("done %(date)s") % {"date": _local_date(action.done_at, "j M")})
    elif today is not None and action.due_on < today:
        # Translators: an assessment action past its due date.
        parts.append(gettext("overdue"))
    return format_html("· {}", format_html_join(" · ", "{}", ((part,) for part in parts)))


@register.filter
def stands_out(cell: Cell | None) -> bool:
    """Whether a cell of "who serves whom" is flagged: under 80% of commitments met, or rated under 3.5.

    A cell without a figure (no clock measured, no rating) is not flagged for it: nothing was measured.
    """
    if cell is None:
        return False
    late = cell.compliance is not None and cell.compliance < 80
    unhappy = cell.satisfaction is not None and cell.satisfaction < 3.5
    return late or unhappy


@register.simple_tag
def assessment_invitation_subject(assessment: Assessment, reminder: int = 0) -> str:
    """The subject of an assessment's invitation, or of a reminder of it.

    Built here, like the other subjects too long for one template line: a subject is one line.
    """
    values = {"department": assessment.department.name, "title": assessment.title}
    if reminder:
        # Translators: an email subject; %(title)s is the assessment's title, e.g. "Spring 2027".
        return gettext("Reminder: How does %(department)s serve you? (%(title)s)") % values
    # Translators: an email subject; %(title)s is the assessment's title, e.g. "Spring 2027".
    return gettext("How does %(department)s serve you? (%(title)s)") % values


@register.simple_tag
def action_overdue_subject(action: AssessmentAction) -> str:
    """The subject telling an action's owner it is overdue: its description, cut to 60 characters."""
    # Translators: an email subject; %(action)s is what the action says, cut to 60 characters.
    text = gettext("Overdue: %(action)s (%(department)s)")
    return text % {"action": truncatechars(action.description, 60), "department": action.assessment.department.name}


@register.simple_tag
def kudos_received_subject(kudos: Kudos, service_request: ServiceRequest) -> str:
    """The subject telling someone they were thanked: who thanked them, and for which request."""
    # Translators: an email subject, e.g. "Ann Smith thanks you (IT-1042)".
    text = gettext("%(person)s thanks you (%(reference)s)")
    return text % {"person": person_name(kudos.sender), "reference": service_request.reference}
