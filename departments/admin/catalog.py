"""Admin for the service catalog: services with their form fields edited inline."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Case, Value, When

from ..audit import AuditedAdmin
from ..forms import (
    ServiceFieldFormSet,
)
from ..models import (
    PRIORITY_RANK,
    Priority,
    Service,
    ServiceField,
)

DAY_ABBREVIATIONS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Most urgent first, as people read a policy ("critical: 30 minutes ...").
PRIORITIES_BY_URGENCY = sorted(Priority, key=lambda p: -PRIORITY_RANK[p])
PRIORITY_ORDERING = Case(
    *(When(priority=p, then=Value(rank)) for rank, p in enumerate(PRIORITIES_BY_URGENCY)),
    output_field=models.IntegerField(),
)


class ServiceFieldInline(admin.TabularInline):
    model = ServiceField
    formset = ServiceFieldFormSet
    extra = 1
    fields = ["position", "name", "label", "field_type", "required", "help_text", "choices"]
    ordering = ["position", "id"]


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = [
        "name",
        "department",
        "default_priority",
        "requester_priority_limit",
        "sla_policy",
        "calendar",
        "is_active",
    ]
    list_filter = ["department", "is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["department", "sla_policy", "calendar"]
    inlines = [ServiceFieldInline]
    autocomplete_fields = ["default_assignee"]
