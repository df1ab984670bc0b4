"""The queue's forms: filters (which become ``QueueFilters``), bulk changes, saved views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Priority, Service

from ..models import Status
from ..selectors.queue import QUEUE_SORTS, SLA_STATES, QueueFilters
from ..services.triage import BulkAction

User = get_user_model()

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class QueueFilterForm(forms.Form):
    """Queue filters; an invalid value is reported at its field and the page still answers, never a 500."""

    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    status = forms.ChoiceField(required=False, label=_("Status"))
    priority = forms.ChoiceField(
        required=False, label=_("Priority"), choices=[("", _("Any priority")), *Priority.choices]
    )
    sla = forms.ChoiceField(required=False, label=_("SLA"), choices=[("", _("Any SLA state")), *SLA_STATES.items()])
    assignee = forms.ChoiceField(required=False, label=_("Assignee"))
    service = forms.ChoiceField(required=False, label=_("Service"))
    requester_department = forms.ChoiceField(required=False, label=_("Requester's department"))
    created_from = forms.DateField(required=False, label=_("Filed from"), widget=DATE_WIDGET)
    created_to = forms.DateField(required=False, label=_("Filed until"), widget=DATE_WIDGET)
    due_from = forms.DateField(required=False, label=_("Due from"), widget=DATE_WIDGET)
    due_to = forms.DateField(required=False, label=_("Due until"), widget=DATE_WIDGET)
    sort = forms.ChoiceField(required=False, label=_("Sort"), choices=[(k, v[0]) for k, v in QUEUE_SORTS.items()])

    def __init__(
        self, *args: Any, services: list[Service], members: list[Any], departments: list[Department], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", gettext("All active")), *Status.choices, ("all", gettext("All statuses"))]
        self.fields["assignee"].choices = [
            ("", gettext("Anyone")),
            ("unassigned", gettext("Unassigned")),
            ("mine", gettext("Mine")),
            *[(str(u.pk), _person(u)) for u in members],
        ]
        self.fields["service"].choices = [("", gettext("All services")), *[(str(s.pk), s.name) for s in services]]
        self.fields["requester_department"].choices = [
            ("", gettext("Any department")),
            *[(str(d.pk), d.name) for d in departments],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for start, end in (("created_from", "created_to"), ("due_from", "due_to")):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, gettext("The end of the range is before its start."))
        return data

    def filters(self) -> QueueFilters:
        """The valid filters; a field with an error is left out (the form shows why)."""
        if not self.is_bound:
            return QueueFilters()
        self.is_valid()  # runs the validation once; cleaned_data then holds only the valid fields
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

        def number(name: str) -> int | None:
            return int(data[name]) if data.get(name) else None

        return QueueFilters(
            status=data.get("status", ""),
            priority=data.get("priority", ""),
            sla=data.get("sla", ""),
            assignee=data.get("assignee", ""),
            service=number("service"),
            requester_department=number("requester_department"),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or "due",
        )


class BulkForm(forms.Form):
    """One change for the selected rows: assign, priority or status (resolving needs a note)."""

    requests = forms.CharField(required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("Action"), choices=BulkAction.choices)
    assignee = forms.ChoiceField(required=False, label=_("Assignee"))
    priority = forms.ChoiceField(required=False, label=_("Priority"), choices=[("", "—"), *Priority.choices])
    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[
            ("", "—"),
            *[
                (s, Status(s).label)
                for s in (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED, Status.CANCELLED)
            ],
        ],
    )
    note = forms.CharField(
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Resolution note")
    )

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(u.pk): u for u in members}
        self.fields["assignee"].choices = [
            ("", "—"),
            ("none", gettext("Unassigned")),
            *[(k, _person(u)) for k, u in self.members.items()],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        references = self.data.getlist("selected") if hasattr(self.data, "getlist") else self.data.get("selected", [])
        data["references"] = [r for r in references if r][:500]
        if not data["references"]:
            raise ValidationError(gettext("Select at least one request."))
        action = data.get("action")
        if action == BulkAction.ASSIGN:
            choice = data.get("assignee")
            if not choice:
                self.add_error("assignee", gettext("Choose whom to assign the selected requests to."))
            data["value"] = None if choice in ("", "none") else self.members.get(choice)
        elif action == BulkAction.PRIORITY:
            if not data.get("priority"):
                self.add_error("priority", gettext("Choose the new priority."))
            data["value"] = data.get("priority")
        elif action == BulkAction.STATUS:
            if not data.get("status"):
                self.add_error("status", gettext("Choose the new status."))
            elif data["status"] == Status.RESOLVED and not (data.get("note") or "").strip():
                self.add_error("note", gettext("Resolving needs a note; the requesters read it."))
            data["value"] = data.get("status")
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Save this view as"))
    shared = forms.BooleanField(required=False, label=_("Share with the department"))
