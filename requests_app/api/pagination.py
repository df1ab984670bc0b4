"""Cursor pages for API lists, on the same keyset pages as the web queue.

``?cursor=`` takes the ``next``/``previous`` link's cursor; ``?page_size=`` up to 100.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ..params import whole_number
from ..selectors import COUNT_CAP, SEARCH_COUNT_CAP, KeysetPage, keyset_page

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def page_size(request: Request) -> int:
    return whole_number(request.query_params, "page_size", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)


def keyset_response_data(request: Request, page: KeysetPage, results: list[Any]) -> dict[str, Any]:
    url = request.build_absolute_uri()
    return {
        "count": page.total,
        "count_is_capped": page.total_capped,
        "next": replace_query_param(url, "cursor", page.next_cursor) if page.next_cursor else None,
        "previous": replace_query_param(url, "cursor", page.previous_cursor) if page.previous_cursor else None,
        "results": results,
    }


def paginate(request: Request, qs: QuerySet, *, sort: str, cap: int = COUNT_CAP) -> KeysetPage:
    cursor = request.query_params.get("cursor", "")
    return keyset_page(qs, sort=sort, cursor=cursor, size=page_size(request), cap=cap)


def first_page_url(request: Request) -> str:
    return remove_query_param(request.build_absolute_uri(), "cursor")


def paginated_serializer(name: str, item: serializers.Serializer) -> serializers.Serializer:
    """The OpenAPI shape of a cursor page of ``item`` (only for the schema)."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(
                help_text=f"Matching rows, counted up to {COUNT_CAP:,} ({SEARCH_COUNT_CAP} with a text search `q`)."
            ),
            "count_is_capped": serializers.BooleanField(help_text="True when there are more than were counted."),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )
