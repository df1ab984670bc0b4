"""Navigation: each person sees links only to the queues they work."""

from __future__ import annotations

from django.http import HttpRequest

from .permissions import user_memberships


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_memberships": []}
    memberships = user_memberships(user)
    return {"nav_memberships": memberships}
