"""The feedback loop's forms: rating, thanks, follow-ups, assessments (start, answer, actions), date ranges."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from requests_app.feedback.models import MAX_CUSTOM_CRITERIA, AssessmentCriterion

User = get_user_model()
# Translators: the scores of a rating or an assessment, from 5 (best) to 1.
SCORES = [(5, _("5 · excellent")), (4, _("4 · good")), (3, _("3 · fair")), (2, _("2 · poor")), (1, _("1 · very poor"))]


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label=_("How was the service?")
    )
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Anything to add? (optional)"),
    )


class FeedbackCommentForm(forms.Form):
    comment = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Add a comment"))


class KudosForm(forms.Form):
    # Translators: the label of the colleague to thank ("Thank: Ann").
    recipient = forms.TypedChoiceField(coerce=int, label=_("Thank"))
    message = forms.CharField(max_length=280, widget=forms.Textarea(attrs={"rows": 2}), label=_("For what?"))

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["recipient"].choices = [(p.pk, _person(p)) for p in people]

    def clean_recipient(self) -> Any:
        return self.people[self.cleaned_data["recipient"]]


class FollowUpCloseForm(forms.Form):
    action_taken = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label=_("What was done"))
    tell_requester = forms.BooleanField(required=False, label=_("Tell the requester (by email)"))


class DateRangeForm(forms.Form):
    """A dashboard's period; by default the last 12 weeks up to today."""

    # Translators: the first day of a dashboard's period.
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("From"))
    # Translators: the last day of a dashboard's period.
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Until"))

    MAX_DAYS = 366

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=83)
        if since > until:
            self.add_error("since", gettext("The period starts after it ends."))
        elif (until - since).days >= self.MAX_DAYS:
            message = ngettext("Choose at most %(days)s day.", "Choose at most %(days)s days.", self.MAX_DAYS)
            self.add_error("since", message % {"days": self.MAX_DAYS})
        data["since"], data["until"] = since, until
        return data

    def period(self) -> tuple[date, date]:
        """The valid period, or the default one when the form has errors."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["since"], self.cleaned_data["until"]
        today = timezone.localdate()
        return today - timedelta(days=83), today


class AssessmentStartForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120, help_text=_("E.g. “Spring 2027”."))
    closes_at = forms.DateTimeField(
        label=_("Answers close at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    respondent_departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Departments that answer (your internal customers)"),
    )
    respondents = forms.CharField(
        required=False,
        label=_("Only these people (optional)"),
        help_text=_("User names, comma-separated. Empty: everyone in the departments above."),
    )

    def __init__(self, *args: Any, department: Department, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["respondent_departments"].queryset = Department.objects.filter(is_active=True).exclude(
            pk=department.pk
        )
        for i in range(1, MAX_CUSTOM_CRITERIA + 1):
            self.fields[f"criterion_{i}"] = forms.CharField(
                required=False,
                max_length=80,
                label=gettext("Your own criterion %(number)s (optional)") % {"number": i},
            )

    def clean_respondents(self) -> list[Any] | None:
        names = [n.strip() for n in self.cleaned_data["respondents"].split(",") if n.strip()]
        if not names:
            return None
        found = {u.username.lower(): u for u in User.objects.filter(username__in=names, is_active=True)}
        missing = [n for n in names if n.lower() not in found]
        if missing:
            # Translators: %(names)s lists one or more user names, comma-separated.
            message = gettext("Nobody active is called %(names)s.") % {"names": ", ".join(missing)}
            raise forms.ValidationError(message)
        return list(found.values())

    def custom_criteria(self) -> list[str]:
        return [self.cleaned_data.get(f"criterion_{i}", "") for i in range(1, MAX_CUSTOM_CRITERIA + 1)]


class AssessmentAnswerForm(forms.Form):
    """A score and an optional comment per criterion of the assessment."""

    def __init__(self, *args: Any, criteria: list[AssessmentCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.key}"] = forms.TypedChoiceField(
                choices=SCORES,
                coerce=int,
                widget=forms.RadioSelect,
                label=criterion.label,
                help_text=criterion.description,
            )
            self.fields[f"comment_{criterion.key}"] = forms.CharField(
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=gettext("Comment (optional)"),
            )


class ActionForm(forms.Form):
    # Translators: the criterion an action is for ("For: Responsiveness").
    criterion = forms.ModelChoiceField(queryset=AssessmentCriterion.objects.none(), required=False, label=_("For"))
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("What we will do"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Owner"))
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Due on"))

    def __init__(self, *args: Any, criteria: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = criteria
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = _person
