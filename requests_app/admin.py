"""Requests in admin are read-mostly: the history must stay the truth, so
changes are made in the app, through the services that record events."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Attachment, Comment, RequestEvent, ServiceRequest


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author", "internal", "body"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["created_at", "actor", "kind", "from_value", "to_value", "internal"]
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["created_at", "original_name", "size", "content_type", "uploaded_by", "comment"]
    readonly_fields = fields


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "department", "service", "status", "priority", "assignee", "created_at"]
    list_filter = ["department", "status", "priority"]
    search_fields = ["reference", "title", "requester__username", "requester__email"]
    list_select_related = ["department", "service", "assignee"]
    date_hierarchy = "created_at"
    inlines = [AttachmentInline, CommentInline, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
