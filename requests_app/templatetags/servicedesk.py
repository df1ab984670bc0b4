"""Template helpers: sanitized Markdown, status badges, SLA words, and the desk's wordings.

A wording that needs logic (what a requester can expect next, what a service promises) is built here, in a
tag named after what it renders, so templates read like HTML instead of one long line of if/elif.
Every wording is one translatable sentence with named placeholders, in the active language; durations too
("1d 4h": one msgid per combination of units, so a language orders and abbreviates its own units).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django import template
from django.template.base import Parser, TextNode, Token, render_value_in_context
from django.template.context import Context
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import join, linebreaksbr
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from departments.business_time import compact_duration, format_duration
from requests_app.markup import render_markdown
from requests_app.models.requests import request_url as models_request_url

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from departments.models import Service, ServiceField
    from requests_app.models import FollowUpPromise, Notification, ServiceRequest

register = template.Library()

# User Markdown, sanitized (``requests_app.markup``); ``|markdown:site_url`` in emails makes links within the
# site absolute on it.
register.filter("markdown", render_markdown)


STATUS_BADGES = {
    "new": "text-bg-primary",
    "open": "text-bg-info",
    "waiting": "text-bg-warning",
    "resolved": "text-bg-success",
    "closed": "text-bg-secondary",
    "cancelled": "text-bg-light border",
}

PRIORITY_BADGES = {
    "low": "text-bg-light border",
    "normal": "text-bg-secondary",
    "high": "text-bg-warning",
    "critical": "text-bg-danger",
}


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-secondary")


@register.filter
def priority_badge(priority: str) -> str:
    return PRIORITY_BADGES.get(priority, "text-bg-secondary")


@register.filter
def business_duration(minutes: int | None) -> str:
    """480 -> "8 business hours", 2880 -> "6 business days" (8-hour days), 30 -> "30 business minutes"."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    if minutes % (8 * 60) == 0 and minutes >= 8 * 60 * 2:
        days = minutes // (8 * 60)
        # Translators: a business day has 8 working hours.
        return ngettext("%(count)s business day", "%(count)s business days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)s business hour", "%(count)s business hours", hours) % {"count": hours}
    if minutes > 60:
        # Translators: a time commitment in working time, e.g. "2 h 30 min of business time".
        return _("%(hours)s h %(minutes)s min of business time") % {"hours": minutes // 60, "minutes": minutes % 60}
    return ngettext("%(count)s business minute", "%(count)s business minutes", minutes) % {"count": minutes}


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if mapping else None


SLA_BADGES = {
    "on_track": "text-bg-success",
    "at_risk": "text-bg-warning",
    "breached": "text-bg-danger",
    "paused": "text-bg-secondary",
    "met": "text-bg-light border",
    "breached_met": "text-bg-light border border-danger text-danger",
}


@register.filter
def sla_badge(state: str) -> str:
    return SLA_BADGES.get(state, "text-bg-light border")


@register.filter
def clock_badge(clock: Any) -> str:
    """A clock's badge and its business time left or overdue (``partials/_sla_badge.html``).

    Built here rather than in a template: the queue shows one on every row.
    """
    if clock is None or clock.state == "none" or not clock.label:
        return ""
    badge = format_html('<span class="badge {}">{}</span>', sla_badge(clock.state), clock.label)
    if clock.state == "breached":
        # Translators: business time past an SLA due time, e.g. "1d 2h overdue".
        overdue = _("%(duration)s overdue") % {"duration": business_left(clock.overdue)}
        return badge + format_html(' <small class="text-danger text-nowrap">{}</small>', overdue)
    if clock.state in ("on_track", "at_risk", "paused") and clock.left is not None:
        # Translators: business time until an SLA due time, e.g. "4h 15m left".
        left = _("%(duration)s left") % {"duration": business_left(clock.left)}
        return badge + format_html(' <small class="text-body-secondary text-nowrap">{}</small>', left)
    return badge


@register.filter
def business_left(delta: timedelta | None) -> str:
    """A business-time span as people say it: "1d 2h 5m" (a business day is 8 hours)."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    return format_duration(minutes) if minutes else _("less than a minute")


@register.filter
def wall_duration(delta: timedelta | None) -> str:
    """Elapsed calendar time as people say it: "3d 4h", "2h 5m" (days of 24 hours, not business days)."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return compact_duration(days, hours, 0)
    return compact_duration(0, hours, mins) or _("less than a minute")


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago, compactly ("5d 3h", "20h 4m"): for narrow columns."""
    if moment is None:
        return ""
    return wall_duration(timezone.now() - moment)


@register.filter
def age_time(moment: datetime | None) -> str:
    """A ``<time>`` element with how long ago (``age``), its local date and time as a tooltip."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M"), age(moment)
    )


@register.filter
def request_url(reference: str, name: str = "request_detail") -> str:
    """The URL of a request's view by its reference (``ServiceRequest.get_absolute_url`` and its actions)."""
    return models_request_url(reference, name)


@register.filter
def select_options(field: Any) -> SafeString:
    """The ``<option>`` elements of a choice field with the current value selected, built in one pass.

    A page of filters with long member lists would otherwise spend its time in template loops.
    """
    current = {str(v) for v in (field.value() if isinstance(field.value(), list) else [field.value()])}
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) in current else "", label)
            for value, label in field.field.choices
        ),
    )


NO_FIGURE = "—"
DUE_FORMAT = "D d M H:i"
WARNING_DUE_FORMAT = "D d M Y H:i T"


@register.filter
def person_name(user: AbstractBaseUser | None) -> str:
    """A person as pages and mails name them: the full name, else the user name ("" for nobody).

    The same as ``user.get_full_name|default:user.username``, said once instead of on every line.
    """
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _local_date(moment: datetime | None, format_string: str = DUE_FORMAT) -> str:
    """A moment as ``|date`` prints it: in the current time zone ("Mon 23 Nov 12:00"); "" for none."""
    return date_filter(timezone.template_localtime(moment), format_string)


@register.simple_tag
def request_expectation(service_request: ServiceRequest) -> str:
    """What the requester can expect next ("My requests"): whose move it is, or the next promised time.

    The first response comes before the resolution, so its due time is the one to show while it runs.
    """
    status = service_request.status
    if status == "waiting":
        return _("We are waiting for your reply")
    if status == "resolved":
        return _("Resolved; reply if something is missing")
    if status in ("closed", "cancelled"):
        return NO_FIGURE
    if service_request.first_response_due_at:
        # Translators: what a requester can expect, e.g. "An answer by Mon 23 Nov 12:00".
        return _("An answer by %(due)s") % {"due": _local_date(service_request.first_response_due_at)}
    if service_request.resolution_due_at:
        # Translators: what a requester can expect, e.g. "Resolution by Mon 23 Nov 12:00".
        return _("Resolution by %(due)s") % {"due": _local_date(service_request.resolution_due_at)}
    return _("We are on it")


@register.simple_tag
def service_promise(service: Service) -> str:
    """What a service commits to at its default priority: the catalog's promise, next to what it delivers."""
    target = service.promised_target
    if target is None:
        return _("No time commitment published yet")
    # Translators: a service's promise; both are business times, e.g. "4 business hours", "3 business days".
    return _("First response within %(first)s, resolution within %(resolution)s") % {
        "first": business_duration(target.first_response_minutes),
        "resolution": business_duration(target.resolution_minutes),
    }


@register.simple_tag(takes_context=True)
def field_answer(context: Context, definition: ServiceField, value: Any) -> SafeString | str:
    """A requester's answer to one field of the service's form, as its type reads: Yes/No, a list, lines.

    An empty answer shows a dash, so a blank is told apart from an answer that is hard to see.
    """
    autoescape = context.autoescape
    if value is None or value == "":
        return format_html('<span class="text-body-secondary">{}</span>', NO_FIGURE)
    if definition.field_type == "checkbox":
        return _("Yes") if value else _("No")
    if definition.field_type == "multi_choice":
        return join(value, ", ", autoescape=autoescape)
    if definition.field_type == "long_text":
        return linebreaksbr(value, autoescape=autoescape)
    return render_value_in_context(value, context)


@register.simple_tag
def clock_due(service_request: ServiceRequest, clock: str) -> str:
    """When the clock a warning is about runs out ("First response due: Mon 23 Nov 2026 12:00 CET")."""
    if clock == "first_response":
        due = _local_date(service_request.first_response_due_at, WARNING_DUE_FORMAT)
        # Translators: %(due)s is a date, time and time zone, e.g. "Mon 23 Nov 2026 12:00 CET".
        return _("First response due: %(due)s") % {"due": due}
    # Translators: %(due)s is a date, time and time zone, e.g. "Mon 23 Nov 2026 12:00 CET".
    return _("Resolution due: %(due)s") % {"due": _local_date(service_request.resolution_due_at, WARNING_DUE_FORMAT)}


LINE_BREAK = re.compile(r"[ \t]*\n\s*")


class OneLineNode(template.Node):
    """The content of ``{% oneline %}``, whose line breaks were made spaces when the template was compiled."""

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Context) -> SafeString:
        return self.nodelist.render(context)


@register.tag
def oneline(parser: Parser, token: Token) -> OneLineNode:
    """``{% oneline %}...{% endoneline %}``: a sentence or paragraph written over several template lines,
    rendered on one line.

    Each line break of the template, with the indentation around it, becomes one space, and the block's own
    leading and trailing line breaks go. A plain-text email keeps its paragraphs one line each, and a page
    keeps sentences that people (and tests) read whole, while no template line grows past 120 characters.
    Only the template's own text changes: what variables and tags render (a comment, a title) is untouched.
    """
    nodelist = parser.parse(("endoneline",))
    parser.delete_first_token()
    for node in nodelist.get_nodes_by_type(TextNode):
        node.s = LINE_BREAK.sub(" ", node.s)
    if nodelist and isinstance(nodelist[0], TextNode):
        nodelist[0].s = nodelist[0].s.lstrip()
    if nodelist and isinstance(nodelist[-1], TextNode):
        nodelist[-1].s = nodelist[-1].s.rstrip()
    return OneLineNode(nodelist)


@register.simple_tag
def queue_view_link(view: Any, current_query: str) -> SafeString:
    """A view's link in the queue's sidebar: its name, marked when shared, and ``aria-current`` on the one shown.

    One element whose parts must stay together (the current view is told by its exact query), too long for a
    template line.
    """
    current = mark_safe(' aria-current="page"') if view.query == current_query else ""
    # Translators: a badge on a queue view that a lead shared with the whole department.
    shared = format_html(' <span class="badge text-bg-light">{}</span>', _("shared")) if view.kind == "shared" else ""
    return format_html(
        '<a class="stretched-link text-reset text-decoration-none" href="?{}"{}>{}{}</a>',
        view.query,
        current,
        view.name,
        shared,
    )


@register.simple_tag
def sla_warning_subject(service_request: ServiceRequest, notification: Notification, clock_label: str) -> str:
    """The subject of an SLA warning ("[IT-1042] 75% of the first response time used: Laptop").

    Built here because a subject is one line and this one does not fit a template line of 120 characters.
    """
    # Translators: an email subject, e.g. "[IT-1042] 75% of the first response time used: Laptop flickers".
    return _("[%(reference)s] %(threshold)s%% of the %(clock)s time used: %(title)s") % {
        "reference": service_request.reference,
        "threshold": notification.threshold,
        "clock": clock_label,
        "title": service_request.title,
    }


@register.simple_tag
def promise_reminder_subject(service_request: ServiceRequest, promise: FollowUpPromise) -> str:
    """The subject reminding an agent of a promised update ("[IT-1042] You promised an update by Thu 15:00: …").

    Built here because a subject is one line and this one does not fit a template line of 120 characters.
    """
    due = _local_date(promise.due_at, "D H:i")
    # Translators: an email subject, e.g. "[IT-1042] You promised an update by Thu 15:00: Laptop flickers".
    return _("[%(reference)s] You promised an update by %(due)s: %(title)s") % {
        "reference": service_request.reference,
        "due": due,
        "title": service_request.title,
    }


# Words the services store in a request's history in English (RequestEvent.from_value / to_value): a
# status, a priority, how a request was assigned. Pages show them in the reader's language.
HISTORY_WORDS = {
    "new": pgettext_lazy("request history", "new"),
    "open": pgettext_lazy("request history", "open"),
    "waiting": pgettext_lazy("request history", "waiting"),
    "resolved": pgettext_lazy("request history", "resolved"),
    "closed": pgettext_lazy("request history", "closed"),
    "cancelled": pgettext_lazy("request history", "cancelled"),
    "low": pgettext_lazy("request history", "low"),
    "normal": pgettext_lazy("request history", "normal"),
    "high": pgettext_lazy("request history", "high"),
    "critical": pgettext_lazy("request history", "critical"),
    "unassigned": pgettext_lazy("request history", "unassigned"),
    "by service": pgettext_lazy("request history", "by service"),
    "round robin": pgettext_lazy("request history", "round robin"),
}


@register.filter
def event_value(value: str) -> str:
    """A value a request's history stored, in the reader's language: the words the services store
    (``HISTORY_WORDS``) translated, anything else as written (names, people's reasons, the sweep's notes)."""
    word = HISTORY_WORDS.get(value)
    if word is not None:
        return str(word)
    # The SLA sweep's notes (requests_app.services.sweep._describe), stored in English.
    warning = SWEEP_WARNING.fullmatch(value)
    if warning and warning["clock"] in SWEEP_CLOCKS:
        # Translators: a request's history: the SLA sweep's warning ("75% of the first response target used").
        text = _("%(threshold)s%% of the %(clock)s target used")
        return text % {"threshold": warning["threshold"], "clock": SWEEP_CLOCKS[warning["clock"]]}
    missed = SWEEP_MISSED.fullmatch(value)
    if missed and missed["clock"] in SWEEP_CLOCKS:
        # Translators: a request's history: the SLA sweep's breach ("first response target missed").
        return _("%(clock)s target missed") % {"clock": SWEEP_CLOCKS[missed["clock"]]}
    return value


SWEEP_WARNING = re.compile(r"(?P<threshold>\d+)% of the (?P<clock>first response|resolution) target used")
SWEEP_MISSED = re.compile(r"(?P<clock>first response|resolution) target missed")
SWEEP_CLOCKS = {
    "first response": pgettext_lazy("request history", "first response"),
    "resolution": pgettext_lazy("request history", "resolution"),
}
