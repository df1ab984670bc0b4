"""Who works where: the membership look-ups every permission check builds on.

Memberships are loaded once per user object (one query, cached on the
instance) so a page that asks "is this person an agent here?" many times still
costs one query.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .models import Membership, Role

_CACHE_ATTR = "_servicedesk_memberships"


def user_memberships(user: AbstractBaseUser | AnonymousUser) -> list[Membership]:
    """The user's memberships with their departments, cached on the user object."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, department__is_active=True)
            .select_related("department")
            .order_by("department__name")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user: AbstractBaseUser) -> None:
    """Drop the cached memberships (after they change within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def member_department_ids(user: AbstractBaseUser | AnonymousUser) -> set[int]:
    return {m.department_id for m in user_memberships(user)}


def is_member(user: AbstractBaseUser | AnonymousUser, department_id: int) -> bool:
    """Agents and leads both work the department's queue."""
    return department_id in member_department_ids(user)


def is_lead(user: AbstractBaseUser | AnonymousUser, department_id: int) -> bool:
    return any(m.department_id == department_id and m.role == Role.LEAD for m in user_memberships(user))
