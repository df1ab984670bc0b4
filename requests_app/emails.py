"""One function per email. Each renders a subject/txt/html triplet from
``templates/emails/`` and returns the addresses it was sent to.

Emails never carry internal notes: only public comments are ever passed in,
and templates receive the request, not its conversation. Every message
carries an ``X-Servicedesk-Notification`` header with its outbox row id, so
"exactly once" can be checked in any mailbox.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Membership, ReminderRule, Role
from requests_app.models import (
    Comment,
    FollowUpPromise,
    Handoff,
    Notification,
    NotificationKind,
    ServiceRequest,
    Watcher,
)

from . import extensions

# A clock as the emails' sentences name it ("missed its first response target"), lower case.
CLOCK_WORDS = {
    # Translators: an SLA clock inside a sentence, e.g. "has used 75% of its first response target".
    "first_response": _("first response"),
    # Translators: an SLA clock inside a sentence, e.g. "missed its resolution target".
    "resolution": _("resolution"),
    # Translators: the clock of a request waiting on its requester, inside a sentence.
    "waiting": _("waiting"),
    # Translators: the clock of a promised update, inside a sentence.
    "promise": _("promise"),
}


def clock_words(clock: str) -> Any:
    """A clock's name in the emails' sentences ("first response"), lazy: it is rendered in each reader's
    language (``send_templated`` renders once per language among the recipients)."""
    return CLOCK_WORDS.get(clock, clock.replace("_", " "))


def message_id(key: str) -> str:
    """The same Message-ID for every transmission of one notification.

    SMTP has no transactions: a worker killed after handing a message over and before recording it as sent
    hands it over again when the claim lease runs out. With one Message-ID, mail servers and clients keep
    one copy (they de-duplicate by it), so each notification reaches its readers once.
    """
    domain = urlsplit(settings.SITE_URL).hostname or "servicedesk.invalid"
    safe = "".join(c if c.isalnum() or c in "-." else "-" for c in key)
    return f"<servicedesk-{safe}@{domain}>"


def readers(addresses: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """The addresses grouped by the language and time zone their people read in (one query).

    A person's profile chooses them; an address of nobody (a queue address) and a person who chose
    nothing read the site's ``LANGUAGE_CODE`` and ``TIME_ZONE``.
    """
    chosen: dict[str, tuple[str, str]] = {}
    people = get_user_model().objects.filter(email__in=addresses, is_active=True)
    for address, language, zone in people.values_list("email", "profile__language", "profile__time_zone"):
        chosen.setdefault(address, (language or settings.LANGUAGE_CODE, zone or settings.TIME_ZONE))
    groups: dict[tuple[str, str], list[str]] = {}
    for address in addresses:
        groups.setdefault(chosen.get(address, (settings.LANGUAGE_CODE, settings.TIME_ZONE)), []).append(address)
    return dict(sorted(groups.items()))


def send_templated(
    template: str,
    context: dict[str, Any],
    to: Iterable[str],
    notification_id: int | None = None,
    mail_key: str = "",
) -> list[str]:
    """Render ``emails/<template>`` (subject, text, HTML) and send it; return who it went to.

    Each reader gets it in their own language and time zone ("by Thu 3 Dec, 13:00" in their zone): one
    message per language and zone among the recipients. ``X-Servicedesk-Notification`` carries the
    outbox row's id, ``X-Servicedesk-Mail`` the key of a feedback-loop mail ("reminder:12:2"), so
    "exactly once" can be checked in any mailbox; the Message-ID is the same for every transmission of
    one message (with the language and zone in it when readers differ).
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return []
    context = {
        **context,
        "site_url": settings.SITE_URL,
        "reopen_days": settings.REOPEN_WINDOW_DAYS,
    }
    groups = readers(recipients)
    for (language, zone), addresses in groups.items():
        with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
            subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
            text = render_to_string(f"emails/{template}.txt", context)
            html = render_to_string(f"emails/{template}.html", context)
        headers = {"X-Servicedesk-Notification": str(notification_id)} if notification_id else {}
        if mail_key:
            headers["X-Servicedesk-Mail"] = mail_key
        if notification_id or mail_key:
            key = f"notification-{notification_id}" if notification_id else mail_key
            headers["Message-ID"] = message_id(key if len(groups) == 1 else f"{key}-{language}-{zone}")
        message = EmailMultiAlternatives(subject=subject, body=text, to=addresses, headers=headers)
        message.attach_alternative(html, "text/html")
        message.send()
    return recipients


def department_recipients(department: Department) -> list[str]:
    """The queue address if the department has one, else every agent and lead."""
    if department.queue_email:
        return [department.queue_email]
    return member_emails(department)


def member_emails(department: Department, role: str | None = None) -> list[str]:
    members = Membership.objects.filter(department=department, user__is_active=True).exclude(user__email="")
    if role:
        members = members.filter(role=role)
    return list(members.values_list("user__email", flat=True))


def lead_recipients(department: Department) -> list[str]:
    """Escalations: the leads (unless switched off) plus any extra addresses of the reminder rule."""
    rule = ReminderRule.objects.filter(department=department).first() or ReminderRule.defaults(department)
    to = member_emails(department, Role.LEAD) if rule.escalate_to_leads else []
    return to + rule.extra_escalation_list


def _worker_recipients(service_request: ServiceRequest) -> list[str]:
    """Whoever works the request: its assignee, or the department queue when unassigned."""
    if service_request.assignee_id and service_request.assignee.is_active and service_request.assignee.email:
        return [service_request.assignee.email]
    return department_recipients(service_request.department)


def requester_recipients(service_request: ServiceRequest) -> list[str]:
    return [service_request.requester.email] if service_request.requester.is_active else []


def _requester_and_watchers(service_request: ServiceRequest) -> list[str]:
    """The requester's side of the conversation: they and the colleagues following the request."""
    watching = Watcher.objects.filter(request=service_request, user__is_active=True).exclude(user__email="")
    return requester_recipients(service_request) + list(watching.values_list("user__email", flat=True))


def _reply(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    """To the other side of the conversation from the author."""
    comment = Comment.objects.select_related("author").filter(pk=notification.subject_id, internal=False).first()
    if comment is None:
        return {}, []
    service_request = notification.request
    to = (
        _worker_recipients(service_request)
        if comment.author_id == service_request.requester_id
        else _requester_and_watchers(service_request)
    )
    return {"comment": comment}, to


def _transferred(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    """To the receiving department (or the assignee its rule chose), with the reason and the sender."""
    handoff = Handoff.objects.select_related("by").filter(pk=notification.subject_id).first()
    previous = (
        Handoff.objects.select_related("department")
        .filter(request_id=notification.request_id, ended_at__isnull=False)
        .order_by("-ended_at", "-id")
        .first()
    )
    return {"handoff": handoff, "previous": previous}, _worker_recipients(notification.request)


def _promise(notification: Notification) -> FollowUpPromise | None:
    return FollowUpPromise.objects.select_related("agent").filter(pk=notification.subject_id).first()


def _promise_reminder(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    promise = _promise(notification)
    if promise is None or not promise.is_open:
        return {}, []
    return {"promise": promise}, [promise.agent.email]


def _promise_missed(notification: Notification) -> tuple[dict[str, Any], list[str]]:
    promise = _promise(notification)
    if promise is None or promise.kept_at is not None:
        return {}, []
    service_request = notification.request
    return {"promise": promise}, requester_recipients(service_request) + lead_recipients(service_request.department)


Recipe = Callable[[Notification], tuple[dict[str, Any], list[str]]]

RECIPES: dict[str, Recipe] = {
    NotificationKind.REQUEST_FILED: lambda n: ({}, _worker_recipients(n.request)),
    NotificationKind.REQUEST_TRANSFERRED: _transferred,
    NotificationKind.PUBLIC_REPLY: _reply,
    NotificationKind.REQUEST_RESOLVED: lambda n: ({}, _requester_and_watchers(n.request)),
    NotificationKind.SLA_WARNING: lambda n: ({}, _worker_recipients(n.request)),
    NotificationKind.SLA_BREACH: lambda n: ({}, lead_recipients(n.request.department)),
    NotificationKind.REQUESTER_REMINDER: lambda n: ({}, requester_recipients(n.request)),
    NotificationKind.AUTO_CLOSE_WARNING: lambda n: ({}, requester_recipients(n.request)),
    NotificationKind.AUTO_CLOSED: lambda n: ({}, requester_recipients(n.request)),
    NotificationKind.PROMISE_REMINDER: _promise_reminder,
    NotificationKind.PROMISE_MISSED: _promise_missed,
}


def recipe_for(kind: str) -> Recipe | None:
    """How to write the email of a kind of outbox row: the core's own kinds, or what an app built on the
    core registered (``requests_app.extensions``); None when nobody writes that kind."""
    return RECIPES.get(kind) or extensions.notification_recipes().get(kind)


def send_notification(notification: Notification) -> list[str]:
    """Render and send the email for an outbox row; the template is named after its kind. A row whose
    kind nobody writes any more (its app was taken out) is sent to nobody."""
    recipe = recipe_for(notification.kind)
    if recipe is None:
        return []
    extra, to = recipe(notification)
    context = {
        "sr": notification.request,
        "notification": notification,
        "clock_label": clock_words(notification.clock),
        "now": timezone.now(),
        **extra,
    }
    return send_templated(notification.kind, context, to, notification_id=notification.pk)
