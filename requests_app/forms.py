"""Forms: validate and render, nothing else.

``ServiceRequestForm`` is generated from a service's field definitions; it is
the single validator of field values, so every way of filing (web now, API
later) accepts exactly the same input.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F
from django.template.defaultfilters import filesizeformat

from departments.models import FieldType, Priority, Service, ServiceField

from .models import Status

User = get_user_model()


def validate_attachment_size(upload: UploadedFile) -> None:
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            f"“{upload.name}” is {filesizeformat(upload.size)}; files may be at most {filesizeformat(limit)}."
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked against the size limit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single_clean = super().clean
        if isinstance(data, (list, tuple)):
            files = [single_clean(item, initial) for item in data if item]
        else:
            files = [single_clean(data, initial)] if data else []
        for upload in files:
            validate_attachment_size(upload)
        return files


def _form_field(definition: ServiceField) -> forms.Field:
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    kind = definition.field_type
    if kind == FieldType.SHORT_TEXT:
        return forms.CharField(max_length=500, **common)
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == FieldType.NUMBER:
        return forms.DecimalField(max_digits=18, decimal_places=4, **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.CHOICE:
        choices = [(c, c) for c in definition.choice_list]
        if not definition.required:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in definition.choice_list], widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldType.FILE:
        return forms.FileField(validators=[validate_attachment_size], **common)
    raise ValueError(f"Unknown field type {kind!r}")


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class ServiceRequestForm(forms.Form):
    """A title plus one input per field definition of the service, prefixed to avoid name clashes."""

    FIELD_PREFIX = "f_"

    title = forms.CharField(max_length=200, help_text="A short summary, e.g. “Laptop screen flickers”.")

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.definitions = list(service.fields.all())
        for definition in self.definitions:
            self.fields[self.FIELD_PREFIX + definition.name] = _form_field(definition)

    def cleaned_values(self) -> dict[str, Any]:
        """Field values as JSON-ready data keyed by field name (files by their original name)."""
        values: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(self.FIELD_PREFIX + definition.name)
            if definition.field_type == FieldType.FILE:
                values[definition.name] = value.name if value else None
            else:
                values[definition.name] = _json_value(value)
        return values

    def cleaned_files(self) -> list[tuple[str, UploadedFile]]:
        return [
            (d.name, self.cleaned_data[self.FIELD_PREFIX + d.name])
            for d in self.definitions
            if d.field_type == FieldType.FILE and self.cleaned_data.get(self.FIELD_PREFIX + d.name)
        ]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        help_text="Markdown is supported.",
    )
    attachments = MultipleFileField(label="Attach files")
    internal = forms.BooleanField(
        required=False, label="Internal note (only agents and leads of the department see it)"
    )

    def __init__(self, *args: Any, allow_internal: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_internal:
            del self.fields["internal"]


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices, label="New status")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Resolution note",
        help_text="Needed when resolving: the requester reads it.",
    )


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, help_text="The requester reads this."
    )


class PromiseForm(forms.Form):
    due_at = forms.DateTimeField(
        label="I will update the requester by",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="The requester sees this promise; a public reply before then keeps it.",
    )


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)


class CatalogSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search services")


QUEUE_SORTS = {
    "due": ("Nearest due time", (F("next_due_at").asc(nulls_last=True), "created_at", "id")),
    "age": ("Oldest first", ("created_at", "id")),
    "-age": ("Newest first", ("-created_at", "-id")),
    "priority": ("Priority, then oldest", ("-priority_rank", "created_at", "id")),
}


class QueueFilterForm(forms.Form):
    """Queue filters; invalid values are reported on the form and the filter is ignored, never a 500."""

    status = forms.ChoiceField(required=False)
    assignee = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    sort = forms.ChoiceField(required=False, choices=[(k, v[0]) for k, v in QUEUE_SORTS.items()])

    def __init__(self, *args: Any, services: list[Service], members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", "All active"),
            *Status.choices,
            ("all", "All statuses"),
        ]
        self.fields["assignee"].choices = [
            ("", "Anyone"),
            ("unassigned", "Unassigned"),
            ("mine", "Mine"),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in members],
        ]
        self.fields["service"].choices = [("", "All services"), *[(str(s.pk), s.name) for s in services]]
        self.fields["sort"].choices = [(k, v[0]) for k, v in QUEUE_SORTS.items()]
