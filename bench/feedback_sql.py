"""The feedback rows of the benchmark's data set, one ``INSERT ... SELECT`` per table, after the requests.

- A rating on three resolved or closed requests in ten, given between the resolution and the last
  change (half 5 stars, a quarter 4, then 3, 2 and 1), one in three through the email link, a comment on
  the best and the worst ones.
- A follow-up on each rating of 1 or 2, closed two days later when it is older than two weeks (the
  open ones are what a lead's dashboard lists).
- Thanks from the requester to the assignee on one resolved request in a hundred.

The dashboards read none of this directly: the summary refresh (``requests_app.feedback.services.summaries``) turns
it into day rows, and ``bench/feedback.py`` rebuilds those before it times the pages.
"""

from __future__ import annotations

from bench.common import at, check_columns
from bench.triage_sql import GENERATOR, between, hashed

DONE = "r.status IN ('resolved', 'closed')"
TWO_WEEKS = 14 * 86_400
TWO_DAYS = 2 * 86_400


def _given(vendor: str) -> str:
    return between(vendor, "r.resolved_at", "r.updated_at", f"({hashed(7, 'r.id')} %% 100) / 100.0")


def feedback_insert(vendor: str) -> str:
    from requests_app.feedback.models import Feedback
    from requests_app.models import ServiceRequest

    score = f"{hashed(8, 'r.id')} %% 100"
    columns = {
        "request_id": "r.id",
        "rating": f"CASE WHEN {score} < 50 THEN 5 WHEN {score} < 75 THEN 4 WHEN {score} < 87 THEN 3 "
        f"WHEN {score} < 94 THEN 2 ELSE 1 END",
        "comment": f"CASE WHEN {score} < 10 THEN 'Quick and friendly, thank you!' "
        f"WHEN {score} >= 87 THEN 'It took long and nobody told me why.' ELSE '' END",
        "channel": f"CASE WHEN {hashed(6, 'r.id')} %% 3 = 0 THEN 'email' ELSE 'page' END",
        "created_at": _given(vendor),
    }
    check_columns(Feedback, columns, GENERATOR)
    return (
        f"INSERT INTO {Feedback._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(columns.values())} "
        f"FROM {ServiceRequest._meta.db_table} AS r WHERE {DONE} AND {hashed(5, 'r.id')} %% 100 < 30"
    )


def _seconds_ago(vendor: str, column: str) -> str:
    """How many seconds before ``%(now)s`` the instant in ``column`` is."""
    if vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM (%(now)s::timestamptz - {column}))"
    return f"(julianday(%(now)s) - julianday({column})) * 86400"


def follow_ups_insert(vendor: str) -> str:
    from requests_app.feedback.models import Feedback, FeedbackFollowUp
    from requests_app.models import ServiceRequest

    age = _seconds_ago(vendor, "f.created_at")
    old = f"{age} > {TWO_WEEKS}"
    columns = {
        "feedback_id": "f.id",
        "department_id": "r.department_id",
        "opened_at": "f.created_at",
        "action_taken": f"CASE WHEN {old} THEN 'Called the requester and explained the delay.' ELSE '' END",
        "closed_at": f"CASE WHEN {old} THEN {at(vendor, f'{TWO_DAYS} - {age}')} END",
        "closed_by_id": f"CASE WHEN {old} THEN r.assignee_id END",
        "requester_told": f"CASE WHEN {old} THEN TRUE ELSE FALSE END",
    }
    check_columns(FeedbackFollowUp, columns, GENERATOR)
    return (
        f"INSERT INTO {FeedbackFollowUp._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns.values())} FROM {Feedback._meta.db_table} AS f "
        f"JOIN {ServiceRequest._meta.db_table} AS r ON r.id = f.request_id WHERE f.rating <= 2"
    )


def kudos_insert(vendor: str) -> str:
    from requests_app.feedback.models import Kudos
    from requests_app.models import ServiceRequest

    columns = {
        "request_id": "r.id",
        "sender_id": "r.requester_id",
        "recipient_id": "r.assignee_id",
        "department_id": "r.department_id",
        "message": "'Thank you for sorting this out so quickly!'",
        "created_at": _given(vendor),
    }
    check_columns(Kudos, columns, GENERATOR)
    return (
        f"INSERT INTO {Kudos._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(columns.values())} "
        f"FROM {ServiceRequest._meta.db_table} AS r "
        f"WHERE {DONE} AND r.assignee_id IS NOT NULL AND r.assignee_id <> r.requester_id "
        f"AND {hashed(9, 'r.id')} %% 100 = 0"
    )
