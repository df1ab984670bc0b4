"""Admin for departments, their members, reminder rules, canned responses and people's profiles."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Case, Value, When
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..audit import AuditedAdmin
from ..models import (
    CANNED_PLACEHOLDERS,
    PRIORITY_RANK,
    AuditEntry,
    CannedResponse,
    Department,
    Membership,
    Priority,
    Profile,
    ReminderRule,
)

DAY_ABBREVIATIONS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Most urgent first, as people read a policy ("critical: 30 minutes ...").
PRIORITIES_BY_URGENCY = sorted(Priority, key=lambda p: -PRIORITY_RANK[p])
PRIORITY_ORDERING = Case(
    *(When(priority=p, then=Value(rank)) for rank, p in enumerate(PRIORITIES_BY_URGENCY)),
    output_field=models.IntegerField(),
)


class ReminderRuleInline(admin.StackedInline):
    """At most one per department (the rule is a OneToOne); left untouched, none is saved and defaults apply."""

    model = ReminderRule
    extra = 1
    can_delete = True
    verbose_name_plural = _("Reminder rules (leave as is for the defaults)")
    fields = [
        ("remind_requester_after_hours", "promise_reminder_minutes"),
        ("auto_close_after_days", "auto_close_warning_days"),
        ("request_feedback", "escalate_to_leads"),
        "extra_escalation_emails",
    ]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_available"]


def _canned_responses_heading() -> str:
    placeholders = ", ".join("{{ %s }}" % name for name in CANNED_PLACEHOLDERS)  # noqa: UP031
    # Translators: %(placeholders)s lists the {{ name }} placeholders, e.g. "{{ reference }}, {{ title }}".
    return gettext("Canned responses (placeholders: %(placeholders)s)") % {"placeholders": placeholders}


class CannedResponseInline(admin.StackedInline):
    model = CannedResponse
    extra = 0
    fields = ["title", "body"]
    verbose_name_plural = lazy(_canned_responses_heading, str)()


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "reference_prefix", "queue_email", "default_sla_policy", "calendar", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["default_sla_policy", "calendar"]
    search_fields = ["name", "reference_prefix"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, ReminderRuleInline, CannedResponseInline]

    def get_fieldsets(self, request: HttpRequest, obj: Department | None = None) -> list[tuple[str | None, dict]]:
        """The SLA and triage settings in groups of their own; every other field as the model lists it."""
        service_levels = ["default_sla_policy", "calendar"]
        triage = ["assignment_rule"]
        others = [name for name in self.get_fields(request, obj) if name not in service_levels + triage]
        return [
            (None, {"fields": others}),
            (gettext("Service levels"), {"fields": service_levels}),
            (gettext("Triage"), {"fields": triage}),
        ]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "department", "role", "is_available"]
    list_filter = ["department", "role", "is_available"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(ReminderRule)
class ReminderRuleAdmin(AuditedAdmin):
    """The same rules as the inline on a department, side by side for every department."""

    list_display = [
        "department",
        "remind_requester_after_hours",
        "auto_close_after_days",
        "auto_close_warning_days",
        "request_feedback",
        "escalate_to_leads",
    ]
    list_select_related = ["department"]
    search_fields = ["department__name"]
    fields = ["department", *ReminderRuleInline.fields]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "department", "updated_at"]
    list_filter = ["department"]
    list_select_related = ["department"]
    search_fields = ["title", "body"]
    fields = ["department", "title", "body"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "employment", "language", "time_zone"]
    list_filter = ["department", "employment", "language"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["department", "employment", "language", "time_zone"]
    verbose_name_plural = _("Where they work, their language and time zone")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Django's user admin with where the person works (their home department) on the same page."""

    inlines = [*UserAdmin.inlines, ProfileInline]
    list_display = [*UserAdmin.list_display, "home_department"]
    list_select_related = ["profile__department"]

    @admin.display(description=_("Department"), ordering="profile__department__name")
    def home_department(self, user: AbstractBaseUser) -> str:
        profile = getattr(user, "profile", None)
        return profile.department.name if profile and profile.department else "—"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody edits or deletes history, superusers included."""

    list_display = ["at", "actor", "action", "model", "object_repr", "changed_fields"]
    list_filter = ["action", "model"]
    list_select_related = ["actor"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "at"
    fields = ["at", "actor", "action", "model", "object_id", "object_repr", "changes_table"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    @admin.display(description=_("Changed"))
    def changed_fields(self, entry: AuditEntry) -> str:
        return ", ".join(entry.changes)

    @admin.display(description=_("Before → after"))
    def changes_table(self, entry: AuditEntry) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((field, _shown(before), _shown(after)) for field, (before, after) in entry.changes.items()),
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            gettext("Field"),
            gettext("Before"),
            gettext("After"),
            rows,
        )


def _shown(value: object) -> str:
    """A value of the audit log as stored (in English, see ``departments.audit``); "(none)" in the reader's
    language."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or gettext("(none)")
    return gettext("(none)") if value in (None, "") else str(value)
