"""Template helpers: sanitized Markdown, status badges, SLA words."""

from __future__ import annotations

from datetime import timedelta

import markdown as md
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

from requests_app.sla import format_duration

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
