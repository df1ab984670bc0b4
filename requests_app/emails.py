"""One function per email. Each renders a subject/txt/html triplet from
``templates/emails/`` and returns the number of messages sent.

Emails never carry internal notes: only public comments are ever passed in,
and templates receive the request, not its conversation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from departments.models import Department, Membership

from .models import Comment, ServiceRequest


def _send(template: str, context: dict[str, Any], to: Iterable[str]) -> int:
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    context = {**context, "site_url": settings.SITE_URL}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()


def department_recipients(department: Department) -> list[str]:
    """The queue address if the department has one, else every agent and lead."""
    if department.queue_email:
        return [department.queue_email]
    return list(
        Membership.objects.filter(department=department, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def send_request_filed(service_request: ServiceRequest) -> int:
    return _send(
        "request_filed",
        {"sr": service_request},
        department_recipients(service_request.department),
    )


def send_public_reply(comment: Comment) -> int:
    """To the other side of the conversation from the author."""
    sr = comment.request
    if comment.author_id == sr.requester_id:
        has_assignee = sr.assignee_id is not None and sr.assignee.is_active
        to = [sr.assignee.email] if has_assignee else department_recipients(sr.department)
    else:
        to = [sr.requester.email]
    return _send("public_reply", {"sr": sr, "comment": comment}, to)


def send_request_resolved(service_request: ServiceRequest) -> int:
    return _send(
        "request_resolved",
        {"sr": service_request, "reopen_days": settings.REOPEN_WINDOW_DAYS},
        [service_request.requester.email],
    )
