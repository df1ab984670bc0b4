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
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import FieldType, Priority, Service, ServiceField

from ..markup import render_help_text
from ..uploads import validate_attachment as validate_attachment_type

User = get_user_model()


def validate_attachment(upload: UploadedFile) -> None:
    """Size first (the cheaper refusal), then the type read from the content (``requests_app.uploads``)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            gettext("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    validate_attachment_type(upload)


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
            validate_attachment(upload)
        return files


def _form_field(definition: ServiceField) -> forms.Field:
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": render_help_text(definition.help_text),
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
        return forms.FileField(validators=[validate_attachment], **common)
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
    URGENCY = "priority"  # the API's name for it too

    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("A short summary, e.g. “Laptop screen flickers”.")
    )

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.definitions = list(service.fields.all())
        for definition in self.definitions:
            self.fields[self.FIELD_PREFIX + definition.name] = _form_field(definition)
        if service.requester_priorities:
            self.fields[self.URGENCY] = forms.ChoiceField(
                label=_("Urgency"),
                required=False,
                choices=[
                    ("", gettext("Let the department decide")),
                    *[(p, Priority(p).label) for p in service.requester_priorities],
                ],
                error_messages={"invalid_choice": service.requester_priority_rule()},
            )

    def clean(self) -> dict[str, Any]:
        """An urgency sent for a service that offers none is refused, not ignored (``request_file`` would)."""
        data = super().clean()
        if self.URGENCY not in self.fields and self.data.get(self.URGENCY):
            raise forms.ValidationError(self.service.requester_priority_rule())
        return data

    def cleaned_urgency(self) -> str | None:
        """The urgency the requester stated (None: the department decides)."""
        return self.cleaned_data.get(self.URGENCY) or None

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


class CatalogSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search services"))
