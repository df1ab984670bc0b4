"""Celery tasks: take an id, load fresh data, call one email function.

They are safe to run twice in the sense that matters for issue 2 (a lost or
repeated notification changes no data); exactly-once delivery through claimed
rows arrives with the SLA engine.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="requests_app.notify_request_filed")
def notify_request_filed(request_id: int) -> int:
    from . import emails
    from .models import ServiceRequest

    service_request = (
        ServiceRequest.objects.select_related("service", "department", "requester").filter(pk=request_id).first()
    )
    if service_request is None:
        return 0
    return emails.send_request_filed(service_request)


@shared_task(name="requests_app.notify_public_reply")
def notify_public_reply(comment_id: int) -> int:
    from . import emails
    from .models import Comment

    comment = (
        Comment.objects.select_related(
            "author", "request__requester", "request__assignee", "request__department", "request__service"
        )
        .filter(pk=comment_id, internal=False)
        .first()
    )
    if comment is None:
        return 0
    return emails.send_public_reply(comment)


@shared_task(name="requests_app.notify_request_resolved")
def notify_request_resolved(request_id: int) -> int:
    from . import emails
    from .models import ServiceRequest

    service_request = (
        ServiceRequest.objects.select_related("service", "department", "requester").filter(pk=request_id).first()
    )
    if service_request is None:
        return 0
    return emails.send_request_resolved(service_request)
