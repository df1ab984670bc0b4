"""Departments, who works in them, and what they offer (the service catalog).

The SLA policy lives here because a service's promise ("first response within
4 business hours") is part of what the catalog shows; the business-time
arithmetic that turns targets into due times is in ``requests_app``'s SLA engine.
"""

from .audit import AuditAction, AuditEntry
from .calendars import (
    WEEKDAYS,
    BusinessCalendar,
    Holiday,
    WorkingInterval,
    default_sla_calendar,
    validate_time_zone,
)
from .catalog import (
    CHOICE_TYPES,
    FIELD_NAME_RE,
    FieldType,
    Service,
    ServiceField,
    ServiceQuerySet,
)
from .org import AssignmentRule, Department, EmploymentType, Membership, Profile, Role
from .policies import PRIORITY_RANK, Priority, SLAPolicy, SLATarget, parse_thresholds
from .rules import CANNED_PLACEHOLDERS, PLACEHOLDER_RE, CannedResponse, ReminderRule

__all__ = [
    "CANNED_PLACEHOLDERS",
    "CHOICE_TYPES",
    "FIELD_NAME_RE",
    "PLACEHOLDER_RE",
    "PRIORITY_RANK",
    "WEEKDAYS",
    "AssignmentRule",
    "AuditAction",
    "AuditEntry",
    "BusinessCalendar",
    "CannedResponse",
    "Department",
    "EmploymentType",
    "FieldType",
    "Holiday",
    "Membership",
    "Priority",
    "Profile",
    "ReminderRule",
    "Role",
    "SLAPolicy",
    "SLATarget",
    "Service",
    "ServiceField",
    "ServiceQuerySet",
    "WorkingInterval",
    "default_sla_calendar",
    "parse_thresholds",
    "validate_time_zone",
]
