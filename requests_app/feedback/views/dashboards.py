"""Dashboards: a department's (its agents and leads), the company view (leads and admins), and the
monthly service review (the department's leads). All read the summary tables and say when they were
computed; the department dashboard also answers as CSV."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.permissions import is_lead
from requests_app.feedback.forms import DateRangeForm, FollowUpCloseForm
from requests_app.feedback.models import FeedbackFollowUp
from requests_app.feedback.selectors import dashboards
from requests_app.params import page_number
from requests_app.permissions import get_queue_department_for_user
from requests_app.views.request_page import error_text

from .. import services
from ..permissions import can_see_company


def department_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    form = DateRangeForm(request.GET or None)
    since, until = form.period()
    lead = is_lead(request.user, department.pk)
    data = dashboards.department_figures(
        department, since=since, until=until, leads_view=lead, follow_up_page=page_number(request.GET, "follow_ups")
    )
    if request.GET.get("format") == "csv" and not form.errors:
        return _dashboard_csv(data)
    context = {
        "department": department,
        "form": form,
        "data": data,
        "is_lead": lead,
        "close_form": FollowUpCloseForm(),
        "nav": "dashboard",
    }
    # A bad period is reported at its field and the default period shown, with a 400.
    return render(request, "feedback/dashboard.html", context, status=400 if form.errors else 200)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _dashboard_csv(data: dashboards.DepartmentFigures) -> HttpResponse:
    """The dashboard's numbers, one row per week plus the period's total: what the charts draw."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{data.department.slug}-{data.period.since}-{data.period.until}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "period",
            "from",
            "until",
            "filed",
            "first_response_compliance_percent",
            "first_response_median_seconds",
            "first_response_p90_seconds",
            "resolution_compliance_percent",
            "resolution_median_seconds",
            "resolution_p90_seconds",
            "ratings",
            "satisfaction_average",
            "backlog",
        ]
    )
    rows = [("week", w.period, w.backlog) for w in data.weeks] + [("total", data.period, data.backlog.total)]
    for label, period, backlog in rows:
        fr, res = period.first_response, period.resolution
        rated = period.satisfaction
        writer.writerow(
            [
                label,
                period.since.isoformat(),
                period.until.isoformat(),
                period.filed,
                _percent(fr.compliance),
                _seconds(fr.median),
                _seconds(fr.p90),
                _percent(res.compliance),
                _seconds(res.median),
                _seconds(res.p90),
                rated.count,
                "" if rated.average is None else f"{rated.average:.2f}",
                "" if backlog is None else backlog,
            ]
        )
    return response


@require_POST
def follow_up_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    if not is_lead(request.user, department.pk):
        raise PermissionDenied
    follow_up = (
        FeedbackFollowUp.objects.filter(pk=pk, department=department).select_related("feedback__request").first()
    )
    if follow_up is None:
        raise Http404("No such follow-up.")
    form = FollowUpCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what was done before closing the follow-up."))
        return redirect("feedback:department_dashboard", slug=department.slug)
    try:
        services.follow_up_close(
            follow_up=follow_up,
            by=request.user,
            action_taken=form.cleaned_data["action_taken"],
            tell_requester=form.cleaned_data["tell_requester"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        reference = follow_up.feedback.request.reference
        if form.cleaned_data["tell_requester"]:
            message = _("Follow-up of %(reference)s closed. The requester has been told.")
        else:
            message = _("Follow-up of %(reference)s closed.")
        messages.success(request, message % {"reference": reference})
    return redirect("feedback:department_dashboard", slug=department.slug)


def company(request: HttpRequest) -> HttpResponse:
    if not can_see_company(request.user):
        raise Http404("No such page.")
    form = DateRangeForm(request.GET or None)
    since, until = form.period()
    data = dashboards.company_figures(since=since, until=until)
    context = {"form": form, "data": data, "nav": "company"}
    return render(request, "feedback/company.html", context, status=400 if form.errors else 200)


def monthly_review(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    if not is_lead(request.user, department.pk):
        raise Http404("No such page.")
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise Http404("No such month.") from None
    data = dashboards.review_figures(department, first)
    return render(request, "feedback/monthly_review.html", {"department": department, "data": data})
