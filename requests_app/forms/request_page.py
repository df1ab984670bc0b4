"""The forms of a request's page: reply, assign, status, resolve, promise, priority, transfer, watchers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from departments.models import Priority, Service

from ..models import Status
from ..uploads import too_many_files
from .filing import MultipleFileField

User = get_user_model()


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        help_text=_("Markdown is supported."),
    )
    attachments = MultipleFileField(label=_("Attach files"))
    internal = forms.BooleanField(
        required=False, label=_("Internal note (only agents and leads of the department see it)")
    )

    def __init__(self, *args: Any, allow_internal: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_internal:
            del self.fields["internal"]
        # For the page's script: more files than this are refused before sending, so what was typed stays
        # (Django refuses such a post unread; requests_app.services.attachments_check refuses it too).
        most = settings.ATTACHMENT_MAX_FILES
        self.fields["attachments"].widget.attrs.update({"data-max-files": most, "data-too-many": too_many_files(most)})


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Assignee"), empty_label=_("Unassigned")
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices, label=_("New status"))
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Resolution note"),
        help_text=_("Needed when resolving: the requester reads it."),
    )


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        label=_("Resolution note"),
        help_text=_("The requester reads this."),
    )


class PromiseForm(forms.Form):
    due_at = forms.DateTimeField(
        label=_("I will update the requester by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("The requester sees this promise; a public reply before then keeps it."),
    )


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class TransferForm(forms.Form):
    to_service = forms.ModelChoiceField(
        queryset=Service.objects.none(), label=_("Move to"), empty_label=_("Choose a service…")
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Reason"),
        help_text=_("The receiving department reads this; their SLA applies from now."),
    )

    share_internal_notes = forms.BooleanField(
        required=False, label=_("Share our internal notes (and their files) with the receiving department")
    )

    def __init__(self, *args: Any, current: Service, notes: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_service"]
        field.queryset = Service.objects.active().exclude(pk=current.pk).select_related("department")
        field.label_from_instance = lambda s: f"{s.department.name}: {s.name}"
        if not notes:
            # Nothing to share: the page says so instead of offering an empty choice.
            del self.fields["share_internal_notes"]
            return
        self.fields["share_internal_notes"].help_text = ngettext(
            "Not shared unless you tick this: the receiving department sees the conversation, the answers "
            "and your reason, but not the internal note written here or its files.",
            "Not shared unless you tick this: the receiving department sees the conversation, the answers "
            "and your reason, but not the %(notes)s internal notes written here or their files.",
            notes,
        ) % {"notes": notes}


class WatcherForm(forms.Form):
    person = forms.CharField(max_length=254, label=_("Colleague"), help_text=_("Their user name or email address."))

    def clean_person(self) -> Any:
        text = self.cleaned_data["person"].strip()
        matches = list(User.objects.filter(is_active=True).filter(username__iexact=text)[:2])
        if not matches and "@" in text:
            matches = list(User.objects.filter(is_active=True, email__iexact=text)[:2])
        if len(matches) != 1:
            raise forms.ValidationError(
                gettext("Nobody active is called “%(text)s”; check the user name or email address.") % {"text": text}
            )
        return matches[0]
