"""Admin for departments, memberships, the catalog and SLA policies.

Service form fields are edited inline; their validation (choices needed,
names unique within a service) runs in ``ServiceField.clean`` and the inline
formset below, so a bad definition is refused with a message at the field.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .models import Department, Membership, Service, ServiceField, SLAPolicy, SLATarget


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "reference_prefix", "queue_email", "default_sla_policy", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "reference_prefix"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["department", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]


class ServiceFieldFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        # Our friendlier duplicate check runs first: Django's own uniqueness
        # check in super().clean() stops with a generic message.
        seen: set[str] = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            name = form.cleaned_data.get("name")
            if name in seen:
                form.add_error("name", f"Another field of this service is already named “{name}”.")
            seen.add(name)
        super().clean()


class ServiceFieldInline(admin.TabularInline):
    model = ServiceField
    formset = ServiceFieldFormSet
    extra = 1
    fields = ["position", "name", "label", "field_type", "required", "help_text", "choices"]
    ordering = ["position", "id"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "default_priority", "sla_policy", "is_active"]
    list_filter = ["department", "is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["department", "sla_policy"]
    inlines = [ServiceFieldInline]


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [SLATargetInline]
