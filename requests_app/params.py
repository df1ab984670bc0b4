"""Numbers people put in addresses (``?page=2``, ``?page_size=50``) and the API's ids, read one way.

``str.isdigit`` accepts "²" (and ``int`` then fails: a 500), and ``int`` accepts "١٢" and "１２" (Arabic-Indic
and fullwidth digits) and " 2": none of them is a number in a link this site wrote. So a number here is ASCII
digits only, within bounds; anything else is a ``BadParameter``, which pages answer with a 400 page
(Django's ``BadRequest``) and the API with a 400 naming the parameter (``api/errors.py``). An empty or
absent value means "not given": the caller's default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import BadRequest
from django.utils.translation import gettext

ASCII_DIGITS = re.compile(r"[0-9]+")  # not \d, which matches every script's digits
MAX_ID = 2**63 - 1  # the largest primary key (a signed 64-bit integer)
MAX_PAGE_NUMBER = 100_000


class BadParameter(BadRequest):
    """A query parameter that is not what it must be; ``name`` says which, ``message`` why."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def is_ascii_number(text: str, maximum: int) -> bool:
    """Whether ``text`` is ASCII digits for a number from 1 to ``maximum`` (its length checked before ``int``)."""
    return bool(ASCII_DIGITS.fullmatch(text)) and len(text) <= len(str(maximum)) and 1 <= int(text) <= maximum


def whole_number(data: Mapping[str, Any], name: str, *, default: int, maximum: int) -> int:
    """``data[name]`` (a query string) as a whole number from 1 to ``maximum``; ``default`` when it is absent
    or empty; else ``BadParameter``."""
    raw = data.get(name, "")
    if raw == "":
        return default
    if not isinstance(raw, str) or not is_ascii_number(raw, maximum):
        raise BadParameter(name, gettext("A whole number from 1 to %(max)s.") % {"max": maximum})
    return int(raw)


def page_number(data: Mapping[str, Any], name: str = "page") -> int:
    """A page number (1 when not given); a number past the last page is the paginator's to handle."""
    return whole_number(data, name, default=1, maximum=MAX_PAGE_NUMBER)
