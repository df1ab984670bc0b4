"""Who may see the feedback loop's pages beyond a department's own (those use
``requests_app.permissions.get_queue_department_for_user``)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from departments.permissions import user_memberships


def can_see_company(user: AbstractBaseUser) -> bool:
    """The company view is for leads of any department and for admins (superusers)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or any(m.role == "lead" for m in user_memberships(user))
