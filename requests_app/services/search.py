"""The search document of each request: written at filing, extended by every public comment.

On PostgreSQL the document is a ``tsvector`` (the ``simple`` configuration: no stemming, so names,
asset tags and words of any language match as typed) behind a GIN index; on SQLite it is lower-cased
text for a substring match. Internal notes are never added: a requester's search must not find them,
and agents search the same documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import connection

from ..models import RequestSearch

SEARCH_CONFIG = "simple"
# The words a search is made of (``selectors.queue.search_words``). PostgreSQL's parser reads "IT-1042" as
# "it" and the number "-1042", and "bob@example.com" as one token, so the document is built from these
# words, the same ones a query is split into: "1042", "example" and the full reference all match.
WORD_RE = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> str:
    return " ".join(WORD_RE.findall(text))


def search_text(*, reference: str, title: str, values: Mapping[str, Any]) -> str:
    """What a request is found by at filing: its reference, title and the answers in its form fields."""
    parts = [reference, title]
    for value in values.values():
        if isinstance(value, (list, tuple)):
            parts.extend(str(v) for v in value)
        elif isinstance(value, dict):
            parts.append(str(value.get("name", "")))  # a file field's value: its name
        elif value not in (None, ""):
            parts.append(str(value))
    return " ".join(parts)


def _table() -> str:
    return RequestSearch._meta.db_table


def search_index_request(*, request_id: int, reference: str, title: str, values: Mapping[str, Any]) -> None:
    text = search_text(reference=reference, title=title, values=values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {_table()} (request_id, document, text) VALUES (%s, to_tsvector(%s, %s), '')",  # noqa: S608
                [request_id, SEARCH_CONFIG, _words(text)],
            )
        else:
            cursor.execute(
                f"INSERT INTO {_table()} (request_id, document, text) VALUES (%s, NULL, %s)",  # noqa: S608
                [request_id, text.lower()],
            )


def search_add_text(*, request_id: int, text: str) -> None:
    """Append a public comment's words to the request's document."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {_table()} SET document = coalesce(document, ''::tsvector) || to_tsvector(%s, %s) "  # noqa: S608
                "WHERE request_id = %s",
                [SEARCH_CONFIG, _words(text), request_id],
            )
        else:
            cursor.execute(
                f"UPDATE {_table()} SET text = text || ' ' || %s WHERE request_id = %s",  # noqa: S608
                [text.lower(), request_id],
            )
