"""Helpers of the query-count tests: pages and API lists cost the same number of SQL queries at few and
at many rows (house rule 2), and an answer counts only once it really holds every row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(client: Any, path: str, shown: Iterable[str]) -> int:
    """Queries to answer ``path``, after checking the answer holds each of the texts in ``shown``."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    body = response.content.decode()
    missing = [text for text in shown if text not in body]
    assert not missing, f"missing from the answer: {missing}"
    return len(captured)


def measure(
    client: Any,
    path: str,
    *,
    grow: Callable[[int], None],
    rows: Callable[[], int],
    shown: Callable[[], Iterable[str]],
    few: int,
    many: int,
) -> tuple[int, int]:
    """Queries at ``few`` rows and at ``many`` rows (``rows`` counts them), each after a warm-up call
    (what a process keeps, such as the queue's configuration, is then kept in both);
    ``shown()`` lists the texts that must be in the answer at that moment."""
    grow(few)
    assert rows() == few
    client.get(path)
    at_few = queries_for(client, path, list(shown()))
    grow(many - few)
    assert rows() == many
    client.get(path)
    return at_few, queries_for(client, path, list(shown()))
