"""Quality assessments: a department's list (its agents and leads) where leads start one, the results
page (anonymous below three respondents per group) with its actions, and the respondent's answer page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from departments.permissions import is_lead, is_member
from requests_app.feedback.forms import ActionForm, AssessmentAnswerForm, AssessmentStartForm
from requests_app.feedback.models import Assessment, AssessmentAction, AssessmentInvitation
from requests_app.feedback.services.assessments import Score
from requests_app.permissions import get_queue_department_for_user
from requests_app.selectors import department_members

from .. import selectors, services


def _form_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
        form.add_error(field if field in form.fields else None, errors)


def assessment_list(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    lead = is_lead(request.user, department.pk)
    status = 200
    form = AssessmentStartForm(department=department)
    if request.method == "POST":
        if not lead:
            raise PermissionDenied
        form = AssessmentStartForm(request.POST, department=department)
        if form.is_valid():
            try:
                assessment = services.assessment_start(
                    department=department,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    closes_at=form.cleaned_data["closes_at"],
                    respondent_departments=list(form.cleaned_data["respondent_departments"]),
                    respondents=form.cleaned_data["respondents"],
                    custom_criteria=form.custom_criteria(),
                )
            except ValidationError as exc:
                _form_errors(form, exc)
                status = 400
            else:
                invited = assessment.invitations.count()
                message = ngettext(
                    "“%(title)s” started: %(count)s person is invited to answer.",
                    "“%(title)s” started: %(count)s people are invited to answer.",
                    invited,
                ) % {"title": assessment.title, "count": invited}
                messages.success(request, message)
                return redirect("feedback:assessment_detail", pk=assessment.pk)
        else:
            status = 400
    assessments = list(
        Assessment.objects.filter(department=department).select_related("started_by").order_by("-created_at")
    )
    context = {"department": department, "assessments": assessments, "form": form, "is_lead": lead, "nav": "dashboard"}
    return render(request, "feedback/assessments.html", context, status=status)


def _assessment_for(request: HttpRequest, pk: int) -> Assessment:
    """An assessment its department's agents and leads may see; anyone else: 404."""
    assessment = Assessment.objects.filter(pk=pk).select_related("department", "started_by").first()
    if assessment is None or not is_member(request.user, assessment.department_id):
        raise Http404("No such assessment.")
    return assessment


def assessment_detail(request: HttpRequest, pk: int, action_form: ActionForm | None = None) -> HttpResponse:
    assessment = _assessment_for(request, pk)
    lead = is_lead(request.user, assessment.department_id)
    results = selectors.assessment_results(assessment)
    members = department_members(assessment.department)
    context = {
        "assessment": assessment,
        "results": results,
        "weak": selectors.weak_criteria(results) if results.shown else [],
        "actions": list(assessment.actions.select_related("owner", "criterion").order_by("due_on", "id")),
        "action_form": action_form or ActionForm(criteria=assessment.criteria.all(), members=members),
        "is_lead": lead,
        "today": timezone.localdate(),
        "nav": "dashboard",
    }
    return render(request, "feedback/assessment_detail.html", context, status=400 if action_form else 200)


@require_POST
def assessment_close(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_for(request, pk)
    services.assessment_close(assessment=assessment, by=request.user)
    messages.success(request, _("Closed for answers; the results below are final."))
    return redirect("feedback:assessment_detail", pk=pk)


@require_POST
def assessment_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_for(request, pk)
    if not is_lead(request.user, assessment.department_id):
        raise PermissionDenied
    form = ActionForm(
        request.POST, criteria=assessment.criteria.all(), members=department_members(assessment.department)
    )
    if not form.is_valid():
        return assessment_detail(request, pk, action_form=form)
    try:
        services.assessment_action_add(assessment=assessment, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _form_errors(form, exc)
        return assessment_detail(request, pk, action_form=form)
    messages.success(request, _("Action recorded; its owner is reminded if it becomes overdue."))
    return redirect("feedback:assessment_detail", pk=pk)


@require_POST
def assessment_action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = AssessmentAction.objects.filter(pk=pk).select_related("assessment").first()
    if action is None or not is_member(request.user, action.assessment.department_id):
        raise Http404("No such action.")
    services.assessment_action_done(action=action, by=request.user)
    messages.success(request, _("Marked done."))
    return redirect("feedback:assessment_detail", pk=action.assessment_id)


def assessment_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The respondent's page: the link's token finds the invitation; it must be theirs."""
    invitation = (
        AssessmentInvitation.objects.filter(token=token).select_related("assessment__department", "group").first()
    )
    if invitation is None:
        return render(request, "feedback/assessment_answer.html", {"state": "unknown"}, status=404)
    if invitation.respondent_id != request.user.pk:
        return render(request, "feedback/assessment_answer.html", {"state": "wrong_person"}, status=403)
    assessment = invitation.assessment
    context: dict[str, Any] = {"invitation": invitation, "assessment": assessment}
    if invitation.answered_at is not None:
        return render(request, "feedback/assessment_answer.html", {**context, "state": "answered"})
    if not assessment.takes_answers(timezone.now()):
        return render(request, "feedback/assessment_answer.html", {**context, "state": "closed"}, status=410)
    criteria = list(assessment.criteria.all())
    status = 200
    if request.method == "POST":
        form = AssessmentAnswerForm(request.POST, criteria=criteria)
        if form.is_valid():
            scores = {
                c.key: Score(form.cleaned_data[f"score_{c.key}"], form.cleaned_data[f"comment_{c.key}"])
                for c in criteria
            }
            try:
                services.assessment_answer(invitation=invitation, by=request.user, scores=scores)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
                status = 400
            else:
                return render(request, "feedback/assessment_answer.html", {**context, "state": "thanks"})
        else:
            status = 400
    else:
        form = AssessmentAnswerForm(criteria=criteria)
    return render(request, "feedback/assessment_answer.html", {**context, "state": "open", "form": form}, status=status)
