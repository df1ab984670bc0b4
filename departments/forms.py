"""Forms for configuring the SLA engine in the admin: validate and render, nothing else.

The rules themselves live where the arithmetic does (``departments.business_time``:
overlapping intervals, a week without working time, duration syntax) and in
the models' ``clean()``; these forms reuse them so that the admin refuses a
configuration the engine could not compute with, and says why next to the
field or the inline that is wrong.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import holidays
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from departments import business_time

from .models import WEEKDAYS, BusinessCalendar, SLAPolicy, SLATarget, parse_thresholds

# --- durations -----------------------------------------------------------------------------------

# PositiveIntegerField's range on every supported database: beyond it PostgreSQL
# raises "integer out of range" at save time instead of a form error.
MAX_TARGET_MINUTES = 2_147_483_647


class DurationInput(forms.TextInput):
    """Shows stored minutes the way people type them ("2d 4h", the units ``parse_duration`` reads in every
    language), and typed text unchanged."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return business_time.duration_text(value)
        return super().format_value(value)


class DurationMinutesField(forms.CharField):
    """Business minutes entered as "4h", "2d 4h" (a business day is 8 hours) or a bare number of minutes.

    ``to_python`` already returns minutes, so ``has_changed`` compares minutes
    with minutes: re-saving "4h" over a stored 240 is not a change.
    """

    widget = DurationInput
    default_error_messages = {
        "min_value": ngettext_lazy(
            "A target of zero is breached the moment a request is filed; enter at least %(limit_value)s minute.",
            "A target of zero is breached the moment a request is filed; enter at least %(limit_value)s minutes.",
            "limit_value",
        ),
        "max_value": ngettext_lazy(
            "This is longer than any target can be (at most %(limit_value)s minute).",
            "This is longer than any target can be (at most %(limit_value)s minutes).",
            "limit_value",
        ),
    }

    def __init__(self, *, min_minutes: int = 1, max_minutes: int = MAX_TARGET_MINUTES, **kwargs: Any) -> None:
        # Translators: 4h, 2d 4h and 90 are what the field reads (d, h, m are fixed): keep them as they are.
        kwargs.setdefault("help_text", _("e.g. 4h, 2d 4h (a day is 8 business hours) or 90 (minutes)."))
        super().__init__(**kwargs)
        self.validators.append(MinValueValidator(min_minutes, message=self.error_messages["min_value"]))
        self.validators.append(MaxValueValidator(max_minutes, message=self.error_messages["max_value"]))

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return business_time.parse_duration(text)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.setdefault("size", 10)
        attrs.setdefault("maxlength", 40)
        # Translators: the example of a duration field; keep "4h" as it is (the field reads d, h and m).
        attrs.setdefault("placeholder", _("e.g. 4h"))
        return attrs


# --- the catalog --------------------------------------------------------------------------------


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
                message = gettext("Another field of this service is already named “%(name)s”.") % {"name": name}
                form.add_error("name", message)
            seen.add(name)
        super().clean()


# --- business calendars --------------------------------------------------------------------------


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """IANA zones, sorted. ``localtime`` is whatever the host is set to, and ``Factory`` is a placeholder:
    neither is a place a team works in, so neither is offered."""
    zones = sorted(available_timezones() - {"localtime", "Factory"})
    return [(zone, zone) for zone in zones]


class BusinessCalendarForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        initial="UTC",
        error_messages={
            "invalid_choice": _("“%(value)s” is not a time zone name such as Europe/Berlin or America/New_York.")
        },
        help_text=_("Working hours and holidays are read in this zone, and due times are shown in it."),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone"]


def _live_forms(formset: forms.BaseFormSet) -> list[forms.Form]:
    """Forms that will be saved: valid, not marked for deletion, and not empty extra rows."""
    return [
        form
        for form in formset.forms
        if getattr(form, "cleaned_data", None)
        and not form.cleaned_data.get("DELETE")
        and (form.instance.pk is not None or form.has_changed())
    ]


class WorkingIntervalFormSet(forms.BaseInlineFormSet):
    """Refuses a week the SLA arithmetic would refuse: overlaps within a day, or no working time at all.

    Each row's own check (end after start) is ``WorkingInterval.clean``; the
    week-level checks need every row, so they live here.
    """

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms if not self._should_delete_form(form)):
            # A row is already wrong; judging the week without it would mislead ("no working time").
            return
        weekly: dict[int, list[business_time.Interval]] = defaultdict(list)
        for form in _live_forms(self):
            weekly[form.instance.weekday].append(form.instance.minutes)
        day_names = dict(WEEKDAYS)
        errors = []
        for day in sorted(weekly):
            try:
                business_time.validate_intervals(weekly[day])
            except business_time.CalendarError as exc:
                # Translators: a weekday and what is wrong with its working hours,
                # e.g. "Monday: 09:00-13:00 overlaps 12:00-17:00."
                errors.append(gettext("%(day)s: %(problem)s") % {"day": day_names[day], "problem": exc})
        if errors:
            raise ValidationError(errors)
        try:
            business_time.Calendar.build("UTC", weekly)
        except business_time.CalendarError as exc:
            # Translators: %(problem)s is a sentence saying what is wrong with the week.
            message = gettext("%(problem)s Add at least one working interval.") % {"problem": exc}
            raise ValidationError(message) from exc


class HolidayFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        # Before super().clean(): Django's own duplicate check stops with a generic message.
        seen: set[date] = set()
        for form in _live_forms(self):
            day = form.cleaned_data.get("date")
            if day in seen:
                message = gettext("%(date)s is listed twice; keep one row for it.") % {"date": f"{day:%Y-%m-%d}"}
                form.add_error("date", message)
            seen.add(day)
        super().clean()


def _years_at_a_time(years: int) -> str:
    return ngettext("At most %(years)s year at a time.", "At most %(years)s years at a time.", years) % {"years": years}


class HolidayImportForm(forms.Form):
    """What to import from the ``holidays`` package; the codes are checked against what it supports."""

    MAX_YEARS = 10

    country = forms.CharField(
        label=_("Country"),
        max_length=3,
        help_text=_("ISO country code, e.g. DE, US, GB."),
        widget=forms.TextInput(attrs={"size": 4}),
    )
    subdiv = forms.CharField(
        label=_("Subdivision"),
        max_length=40,
        required=False,
        help_text=_("Optional state or region code, e.g. BY (Bavaria), NY (New York): adds its own holidays."),
        widget=forms.TextInput(attrs={"size": 10}),
    )
    year_from = forms.IntegerField(label=_("Year from"), min_value=1900, max_value=2200)
    year_to = forms.IntegerField(
        label=_("Year to"), min_value=1900, max_value=2200, help_text=lazy(_years_at_a_time, str)(MAX_YEARS)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["year_from"].initial = year
        self.fields["year_to"].initial = year + 1

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country not in holidays.list_supported_countries():
            message = gettext(
                "The holidays package knows no country “%(country)s”: use an ISO code such as DE, US or GB."
            )
            raise ValidationError(message % {"country": country})
        return country

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        country, subdiv = cleaned.get("country"), (cleaned.get("subdiv") or "").strip()
        if country and subdiv:
            known = holidays.list_supported_countries()[country]
            canonical = {code.upper(): code for code in known}
            if subdiv.upper() not in canonical:
                listed = ", ".join(known) if known else gettext("none")
                # Translators: %(known)s lists subdivision codes, e.g. "BW, BY, BE", or says "none".
                message = gettext("%(country)s has no subdivision “%(subdiv)s”; known ones: %(known)s.")
                self.add_error("subdiv", message % {"country": country, "subdiv": subdiv, "known": listed})
            else:
                cleaned["subdiv"] = canonical[subdiv.upper()]
        year_from, year_to = cleaned.get("year_from"), cleaned.get("year_to")
        if year_from is not None and year_to is not None:
            if year_to < year_from:
                self.add_error("year_to", gettext("The last year cannot be before the first."))
            elif year_to - year_from + 1 > self.MAX_YEARS:
                message = ngettext(
                    "Import at most %(years)s year at a time.",
                    "Import at most %(years)s years at a time.",
                    self.MAX_YEARS,
                )
                self.add_error("year_to", message % {"years": self.MAX_YEARS})
        return cleaned

    @property
    def years(self) -> range:
        return range(self.cleaned_data["year_from"], self.cleaned_data["year_to"] + 1)


# --- SLA policies --------------------------------------------------------------------------------


class SLAPolicyForm(forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = ["name", "description", "warning_thresholds", "round_the_clock"]

    def clean_warning_thresholds(self) -> str:
        """Stored sorted and de-duplicated ("90, 50" -> "50, 90"), so what the admin shows is what the sweep uses."""
        try:
            values = parse_thresholds(self.cleaned_data["warning_thresholds"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if not values:
            raise ValidationError(gettext("Enter at least one percentage, e.g. 75."))
        return ", ".join(str(value) for value in values)


class SLATargetForm(forms.ModelForm):
    first_response_minutes = DurationMinutesField(label=_("First response"))
    resolution_minutes = DurationMinutesField(label=_("Resolution"))

    class Meta:
        model = SLATarget
        fields = ["priority", "first_response_minutes", "resolution_minutes"]


class SLATargetFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        # Before super().clean(): Django's own duplicate check stops with a generic message.
        seen: set[str] = set()
        for form in _live_forms(self):
            priority = form.cleaned_data.get("priority")
            if priority in seen:
                label = form.instance.get_priority_display()
                # Translators: %(priority)s is a priority in lower case, e.g. "high".
                message = gettext("This policy already has a %(priority)s target; keep one row for it.")
                form.add_error("priority", message % {"priority": label.lower()})
            seen.add(priority)
        super().clean()
