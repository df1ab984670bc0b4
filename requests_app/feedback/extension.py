"""What the feedback loop adds to the desk's pages, mails and demo data (``requests_app.extensions``)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from unittest import mock

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from departments.models import Department
from requests_app import extensions
from requests_app.models import ServiceRequest

from .demo import seed_feedback
from .emails import RECIPES
from .forms import RatingForm
from .permissions import can_see_company
from .selectors import request_kudos


class FeedbackExtension(extensions.Extension):
    """What the feedback loop adds to the desk's pages and mails (see ``requests_app.extensions``)."""

    request_joins = ("feedback",)
    request_templates = ("feedback/_request_rating_and_thanks.html",)
    service_joins = ("snapshot",)
    service_template = "feedback/_delivered.html"

    notification_recipes: Mapping[str, extensions.Recipe] = RECIPES

    def request_context(
        self, request: HttpRequest, service_request: ServiceRequest, forms: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "feedback": getattr(service_request, "feedback", None),
            "rating_form": forms.get("rating_form") or RatingForm(),
            "kudos": request_kudos(service_request),
        }

    def navigation(self, request: HttpRequest) -> list[extensions.Link]:
        if not can_see_company(request.user):
            return []
        return [extensions.Link("company", _("Who serves whom"), reverse("feedback:company"))]

    def department_links(self, user: AbstractBaseUser, department: Department) -> list[extensions.Link]:
        slug = department.slug
        return [
            extensions.Link("dashboard", _("Dashboard"), reverse("feedback:department_dashboard", args=[slug])),
            extensions.Link("assessments", _("Assessments"), reverse("feedback:assessment_list", args=[slug])),
            extensions.Link("thanks", _("Thanks board"), reverse("feedback:thanks_board", args=[slug])),
        ]

    def seed_demo(self, *, now: datetime, rng: random.Random, departments: Sequence[Department]) -> dict[str, int]:
        # Demo data is history, not news: no assessment invitation or reminder is enqueued while seeding.
        with mock.patch("requests_app.feedback.enqueue.feedback_mail"):
            return dict(seed_feedback(now=now, rng=rng, departments=departments))
