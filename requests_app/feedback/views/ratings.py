"""Ratings (on the request page and by one-click email links), thanks between colleagues, a person's
thanks, and a department's recognition board."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.models import Department
from requests_app.feedback.forms import FeedbackCommentForm, KudosForm, RatingForm
from requests_app.feedback.models import Feedback, FeedbackChannel
from requests_app.feedback.rating_links import LinkError, read_token
from requests_app.models import ServiceRequest, Status
from requests_app.permissions import is_requester
from requests_app.selectors import request_for_page
from requests_app.views.request_page import error_text

from .. import selectors, services

User = get_user_model()


@require_POST
def rate(request: HttpRequest, reference: str) -> HttpResponse:
    """The rating form on the request page."""
    sr = request_for_page(request.user, reference)
    if not is_requester(request.user, sr):
        raise PermissionDenied
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
        return redirect(f"{sr.get_absolute_url()}#feedback")
    try:
        services.feedback_give(
            service_request=sr,
            by=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            channel=FeedbackChannel.PAGE,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Thank you for your rating: it goes straight to the department."))
    return redirect(f"{sr.get_absolute_url()}#feedback")


def _link_page(request: HttpRequest, state: str, status: int, **context: object) -> HttpResponse:
    return render(request, "feedback/rating_link.html", {"state": state, **context}, status=status)


def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-click rating from the email. Signed in as the requester, a valid link records the rating;
    every other case (changed, expired, used, someone else's, reopened meanwhile) gets a page that says so."""
    try:
        link = read_token(token)
    except LinkError as exc:
        return _link_page(request, exc.reason, 410 if exc.reason == "expired" else 400, message=str(exc))
    if link.user_id != request.user.pk:
        return _link_page(request, "wrong_person", 403)
    sr = ServiceRequest.objects.filter(pk=link.request_id, requester=request.user).select_related("department").first()
    if sr is None:
        return _link_page(request, "tampered", 404, message=_("This rating link is not valid any more."))
    existing = Feedback.objects.filter(request=sr).first()
    if existing is not None:
        return _link_page(request, "used", 200, sr=sr, feedback=existing)
    if sr.status not in (Status.RESOLVED, Status.CLOSED):
        return _link_page(request, "reopened", 409, sr=sr)
    try:
        feedback = services.feedback_give(
            service_request=sr, by=request.user, rating=link.score, channel=FeedbackChannel.EMAIL
        )
    except ValidationError:  # rated a moment ago from another link or the page
        return _link_page(request, "used", 200, sr=sr, feedback=Feedback.objects.get(request=sr))
    return _link_page(request, "recorded", 200, sr=sr, feedback=feedback, form=FeedbackCommentForm())


@require_POST
def feedback_comment(request: HttpRequest, reference: str) -> HttpResponse:
    """The comment after a one-click rating."""
    sr = request_for_page(request.user, reference)
    feedback = Feedback.objects.filter(request=sr).first()
    if feedback is None or not is_requester(request.user, sr):
        raise Http404("No rating to comment on.")
    form = FeedbackCommentForm(request.POST)
    if not form.is_valid():
        return _link_page(request, "recorded", 400, sr=sr, feedback=feedback, form=form)
    try:
        services.feedback_add_comment(feedback=feedback, by=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Thank you: your comment was added to your rating."))
    return redirect(f"{sr.get_absolute_url()}#feedback")


def thank(request: HttpRequest, reference: str) -> HttpResponse:
    """Thank someone who took part in the request (its page shows the thanks)."""
    sr = request_for_page(request.user, reference)
    people = selectors.thankable(sr, request.user)
    status = 200
    if request.method == "POST":
        form = KudosForm(request.POST, people=people)
        if form.is_valid():
            try:
                services.kudos_give(
                    service_request=sr,
                    sender=request.user,
                    recipient=form.cleaned_data["recipient"],
                    message=form.cleaned_data["message"],
                )
            except (ValidationError, PermissionDenied) as exc:
                errors = exc.message_dict if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") else {}
                for field, texts in errors.items():
                    form.add_error(field if field in form.fields else None, texts)
                if not errors:
                    form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 400
            else:
                recipient = form.cleaned_data["recipient"]
                name = recipient.get_full_name() or recipient.get_username()
                messages.success(request, _("Thanks sent to %(person)s.") % {"person": name})
                return redirect(f"{sr.get_absolute_url()}#thanks")
        else:
            status = 400
    else:
        form = KudosForm(people=people)
    return render(request, "feedback/thank.html", {"sr": sr, "form": form, "people": people}, status=status)


def person(request: HttpRequest, username: str) -> HttpResponse:
    """A colleague's page: who they are and the thanks they received (thanks are public in the company)."""
    someone = User.objects.filter(username=username, is_active=True).select_related("profile__department").first()
    if someone is None:
        raise Http404("No such colleague.")
    profile = getattr(someone, "profile", None)
    return render(
        request,
        "feedback/person.html",
        {"someone": someone, "profile": profile, "kudos": selectors.kudos_received(someone)},
    )


def thanks_board(request: HttpRequest, slug: str) -> HttpResponse:
    """A department's recognition board: who was thanked this month and this quarter, the latest thanks."""
    department = Department.objects.filter(slug=slug, is_active=True).first()
    if department is None:
        raise Http404("No such department.")
    board = selectors.recognition_board(department, timezone.localdate())
    return render(request, "feedback/thanks_board.html", {"department": department, "board": board})
