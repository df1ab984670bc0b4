"""Template helpers: sanitized Markdown, status badges, SLA words."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import markdown as md
import nh3
from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from departments.business_time import format_duration
from requests_app.models.requests import request_url as models_request_url

register = template.Library()

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


@register.filter(name="markdown")
def render_markdown(text: str | None) -> SafeString:
    """User Markdown to HTML, then through nh3 so no script, handler or javascript: URL survives."""
    html = md.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists", "nl2br"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitized by nh3 above


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
        return f"{days} business days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    if minutes > 60:
        return f"{minutes // 60} h {minutes % 60} min of business time"
    return f"{minutes} business minute{'s' if minutes != 1 else ''}"


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
        return badge + format_html(
            ' <small class="text-danger text-nowrap">{} overdue</small>', business_left(clock.overdue)
        )
    if clock.state in ("on_track", "at_risk", "paused") and clock.left is not None:
        return badge + format_html(
            ' <small class="text-body-secondary text-nowrap">{} left</small>', business_left(clock.left)
        )
    return badge


@register.filter
def business_left(delta: timedelta | None) -> str:
    """A business-time span as people say it: "1d 2h 5m" (a business day is 8 hours)."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    return format_duration(minutes) if minutes else "less than a minute"


@register.filter
def wall_duration(delta: timedelta | None) -> str:
    """Elapsed calendar time as people say it: "3d 4h", "2h 5m" (days of 24 hours, not business days)."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m" if mins else "less than a minute"


NO_FIGURE = "—"


@register.filter
def percent(value: float | None) -> str:
    """66.666 -> "66.7%", 100.0 -> "100%"; nothing measured -> "—" (never a made-up 0% or 100%)."""
    if value is None:
        return NO_FIGURE
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text}%"


@register.filter
def business_seconds(value: float | None) -> str:
    """Business seconds as people say them ("1d 2h 5m", days of 8 hours); "—" when there is no figure."""
    if value is None:
        return NO_FIGURE
    minutes = int(round(value) // 60)
    return format_duration(minutes) if minutes else "under a minute"


@register.filter
def rating(value: float | None) -> str:
    """4.333 -> "4.3 / 5"; no ratings -> "—"."""
    if value is None:
        return NO_FIGURE
    return f"{value:.1f} / 5"


@register.filter
def signed_change(value: float | None) -> str:
    """+0.4 / −1.2 / ±0 for comparisons with an earlier period; "—" when there is nothing to compare."""
    if value is None:
        return NO_FIGURE
    if abs(value) < 0.05:
        return "±0"
    return f"+{value:.1f}" if value > 0 else f"−{abs(value):.1f}"


@register.simple_tag
def trend_chart(weeks: list, attribute: str, title: str) -> SafeString:
    """A 12-week line of ``attribute`` (a dotted path into each week, e.g. "period.first_response.compliance")."""
    from requests_app.feedback.charts import line_chart

    def value(week: object) -> float | None:
        current = week
        for part in attribute.split("."):
            current = getattr(current, part)
        return None if current is None else float(current)

    labels = [f"{week.start:%d %b}" for week in weeks]
    return line_chart([value(w) for w in weeks], labels, title=title)


@register.simple_tag
def bars(items: list, title: str) -> SafeString:
    """Bars for (label-or-object, count) pairs."""
    from requests_app.feedback.charts import bar_chart

    return bar_chart([n for _, n in items], [str(getattr(x, "name", x)) for x, _ in items], title=title)


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
