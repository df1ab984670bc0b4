"""Reads for thanks: whom a person may thank on a request, a person's thanks, a department's
recognition board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from departments.models import Department
from requests_app.feedback.models import (
    Kudos,
)
from requests_app.models import Comment, RequestEvent, ServiceRequest, Watcher

from ..days import day_bounds

User = get_user_model()


def participants(service_request: ServiceRequest) -> set[int]:
    """Who took part in a request: its requester, watchers, assignee, and everyone who wrote or acted on it."""
    people = {service_request.requester_id}
    if service_request.assignee_id:
        people.add(service_request.assignee_id)
    people |= set(Watcher.objects.filter(request=service_request).values_list("user_id", flat=True))
    people |= set(Comment.objects.filter(request=service_request).values_list("author_id", flat=True))
    people |= set(
        RequestEvent.objects.filter(request=service_request, actor__isnull=False).values_list("actor_id", flat=True)
    )
    return people


def thankable(service_request: ServiceRequest, sender: AbstractBaseUser) -> list[AbstractBaseUser]:
    """The people ``sender`` can thank for this request (none if they did not take part)."""
    people = participants(service_request)
    if sender.pk not in people:
        return []
    already = Kudos.objects.filter(request=service_request, sender=sender).values_list("recipient_id", flat=True)
    return list(
        User.objects.filter(pk__in=people - {sender.pk}, is_active=True)
        .exclude(pk__in=already)
        .order_by("first_name", "username")
    )


def kudos_received(user: AbstractBaseUser, limit: int = 50) -> list[Kudos]:
    return list(
        Kudos.objects.filter(recipient=user)
        .select_related("sender", "request", "department")
        .order_by("-created_at")[:limit]
    )


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass
class Board:
    """Thanks to a department's people this month and this quarter: who got how many, the latest messages."""

    month: list[tuple[AbstractBaseUser, int]]
    quarter: list[tuple[AbstractBaseUser, int]]
    recent: list[Kudos]


def recognition_board(department: Department, today: date) -> Board:
    """Three queries: counts per person this month and this quarter, and the latest thanks."""
    base = Kudos.objects.filter(department=department)

    def ranking(since: date) -> list[tuple[AbstractBaseUser, int]]:
        rows = (
            base.filter(created_at__gte=day_bounds(since)[0])
            .values("recipient")
            .annotate(n=Count("pk"))
            .order_by("-n", "recipient")
        )
        counts = {row["recipient"]: row["n"] for row in rows}
        people = User.objects.in_bulk(list(counts))
        return [(people[pk], n) for pk, n in counts.items() if pk in people]

    recent: QuerySet[Kudos] = base.select_related("sender", "recipient", "request").order_by("-created_at")[:20]
    return Board(ranking(today.replace(day=1)), ranking(quarter_start(today)), list(recent))


def request_kudos(service_request: ServiceRequest) -> list[Kudos]:
    """The thanks given for this request, oldest first."""
    return list(service_request.kudos.select_related("sender", "recipient").order_by("created_at", "id"))
