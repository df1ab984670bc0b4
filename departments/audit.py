"""Snapshots and differences for the audit log, and the admin mixin that records them.

A snapshot is the object's own fields (foreign keys by what they show) plus, for configuration edited
inline, its related rows as sorted lists of texts ("Mon 09:00-17:00", "critical: 1h / 8h"), so one entry
tells a reader what the SLA policy, calendar, service or membership looked like before and after.

Snapshots are taken in the source language (English) whatever the admin's language: they are stored, and
a "before" read in one language must compare equal with an "after" read in another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation

from .models import AuditAction
from .services import audit_record

Snapshot = dict[str, Any]
# Related rows to include, per model: attribute name of the reverse relation → how a row reads.
RELATED: dict[str, dict[str, Callable[[Any], str]]] = {
    "slapolicy": {"targets": lambda t: f"{t.priority}: {t.first_response_minutes} / {t.resolution_minutes} min"},
    "businesscalendar": {"intervals": str, "holidays": str},
    "service": {"fields": lambda f: f"{f.name} ({f.field_type}{', required' if f.required else ''})"},
    "department": {"memberships": lambda m: f"{m.user} ({m.role}{'' if m.is_available else ', away'})"},
}


def _value(obj: models.Model, field: models.Field) -> Any:
    value = getattr(obj, field.attname)
    if field.is_relation and value is not None:
        related = getattr(obj, field.name)
        return str(related)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def snapshot(obj: models.Model) -> Snapshot:
    """The object's fields and inline-edited related rows, read from the database as they are now (in the
    source language: ``override(None)`` turns translation off, so texts read as their English msgids)."""
    data: Snapshot = {}
    with translation.override(None):
        for field in obj._meta.concrete_fields:
            if field.primary_key or not field.editable:
                continue
            data[field.name] = _value(obj, field)
        for name, describe in RELATED.get(obj._meta.model_name, {}).items():
            data[name] = sorted(describe(row) for row in getattr(obj, name).all())
    return data


def difference(before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _fresh(obj: models.Model) -> models.Model | None:
    return type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None


class AuditedAdmin(admin.ModelAdmin):
    """Records every add, change and delete made through this admin, with the inlines' rows.

    The "before" is read from the database before the main form is saved, the "after" once the inlines
    are saved too; a save that changes nothing records nothing.
    """

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        current = _fresh(obj) if change else None
        request._audit_before = snapshot(current) if current is not None else {}  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = snapshot(_fresh(obj) or obj)
        changes = difference(getattr(request, "_audit_before", {}), after)
        if changes:
            action = AuditAction.CHANGED if change else AuditAction.ADDED
            audit_record(actor=request.user, action=action, obj=obj, changes=changes)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = snapshot(obj)
        super().delete_model(request, obj)
        audit_record(actor=request.user, action=AuditAction.DELETED, obj=obj, changes=difference(before, {}))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        gone = [(obj, snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, before in gone:
            audit_record(actor=request.user, action=AuditAction.DELETED, obj=obj, changes=difference(before, {}))


def audit_objects(actor: Any, objects: Iterable[models.Model], befores: list[Snapshot]) -> None:
    """Record changes an admin action made to ``objects`` (their ``befores`` taken before the action)."""
    for obj, before in zip(objects, befores, strict=True):
        changes = difference(before, snapshot(_fresh(obj) or obj))
        if changes:
            audit_record(actor=actor, action=AuditAction.CHANGED, obj=obj, changes=changes)
