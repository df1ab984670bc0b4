"""Admin for departments, memberships, the catalog and the SLA engine's configuration.

Service form fields are edited inline; their validation (choices needed,
names unique within a service) runs in ``ServiceField.clean`` and the inline
formset (``departments.forms``), so a bad definition is refused with a message
at the field.

The SLA configuration (business calendars, policies, reminder rules) is
validated with the same rules the engine computes with (``departments.forms``
reuses ``departments.business_time``), so nothing the admin accepts can make the
arithmetic fail later in a sweep.
"""

from . import calendars, catalog, org, policies
from .calendars import week_summary
from .policies import format_due, missing_priorities, policy_preview

__all__ = [
    "calendars",
    "catalog",
    "format_due",
    "missing_priorities",
    "org",
    "policies",
    "policy_preview",
    "week_summary",
]
