"""One-click rating links for the feedback email: signed, tied to one request and its requester, expiring.

A link carries (request id, requester id, score), signed with the site's secret key and a timestamp, so
it cannot be altered or made up, and stops working after ``RATING_LINK_MAX_AGE_DAYS``. It is "usable
once" because a request takes one rating: after it, every link of that email says it was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext, ngettext

SALT = "servicedesk.rating-link"


@dataclass(frozen=True)
class RatingLink:
    request_id: int
    user_id: int
    score: int


class LinkError(Exception):
    """Why a link cannot be used, in words for the person who clicked it (in their language)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # "tampered" or "expired"


def make_token(*, request_id: int, user_id: int, score: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"r": request_id, "u": user_id, "s": score}, compress=False)


def rating_url(*, request_id: int, user_id: int, score: int) -> str:
    token = make_token(request_id=request_id, user_id=user_id, score=score)
    return reverse("feedback:rate_by_link", kwargs={"token": token})


def read_token(token: str) -> RatingLink:
    """The link's content, or ``LinkError`` if it was altered, made up or is too old."""
    days = settings.RATING_LINK_MAX_AGE_DAYS
    max_age = timedelta(days=days)
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        expired = ngettext(
            "This rating link has expired (links work for %(days)s day). You can still rate the request on its page.",
            "This rating link has expired (links work for %(days)s days). You can still rate the request on its page.",
            days,
        )
        raise LinkError("expired", expired % {"days": days}) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkError("tampered", _not_valid()) from None
    try:
        link = RatingLink(int(data["r"]), int(data["u"]), int(data["s"]))
    except (KeyError, TypeError, ValueError):
        raise LinkError("tampered", _not_valid()) from None
    if not 1 <= link.score <= 5:
        raise LinkError("tampered", _not_valid())
    return link


def _not_valid() -> str:
    return gettext("This rating link is not valid: it may have been cut or changed.")
