"""The catalog and a service's page with its request form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.models import Service

from .. import clocks, selectors, services, throttle
from ..forms import CatalogSearchForm, ServiceRequestForm


def catalog(request: HttpRequest) -> HttpResponse:
    form = CatalogSearchForm(request.GET or None)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    departments = selectors.catalog_departments(search=search)
    return render(
        request,
        "requests_app/catalog.html",
        {"form": form, "departments": departments, "search": search, "nav": "catalog"},
    )


def _get_service(pk: int) -> Service:
    try:
        return selectors.service_for_filing(pk)
    except Service.DoesNotExist:
        raise Http404(_("No such service in the catalog.")) from None


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The service's promise and, below it, the form to file a request."""
    service = _get_service(pk)
    status = 200
    if request.method == "POST":
        form = ServiceRequestForm(request.POST, request.FILES, service=service)
        verdict = throttle.filing(request.user.pk)
        if not verdict.allowed:
            form.is_valid()  # the page shows what was typed, with its own errors if any
            form.add_error(
                None,
                ngettext(
                    "You filed many requests in a short time; please wait %(seconds)s second and send this one "
                    "again (everything you typed is kept below).",
                    "You filed many requests in a short time; please wait %(seconds)s seconds and send this one "
                    "again (everything you typed is kept below).",
                    verdict.retry_after,
                )
                % {"seconds": verdict.retry_after},
            )
            response = _render_form(request, service, form, status=429)
            response["Retry-After"] = str(verdict.retry_after)
            return response
        if form.is_valid():
            try:
                service_request = services.request_file(
                    service=service,
                    requester=request.user,
                    title=form.cleaned_data["title"],
                    values=form.cleaned_values(),
                    files=form.cleaned_files(),
                    urgency=form.cleaned_urgency(),
                    config=clocks.SLAConfig(services=[service]),  # read with its joins just now
                )
            except ValidationError as exc:
                # Above the form's fields (the service names its own inputs, e.g. "files").
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Request %(reference)s was filed. We will keep you posted.")
                    % {"reference": service_request.reference},
                )
                return redirect(service_request)
        status = 400
        if request.FILES:
            messages.warning(
                request, _("For your safety, browsers do not keep chosen files: please select them again.")
            )
    else:
        form = ServiceRequestForm(service=service)
    return _render_form(request, service, form, status=status)


def _render_form(request: HttpRequest, service: Service, form: ServiceRequestForm, *, status: int) -> HttpResponse:
    context = {
        "service": service,
        "form": form,
        "targets": selectors.sla_targets_by_priority(service),
        "max_upload": settings.ATTACHMENT_MAX_BYTES,
        "nav": "catalog",
    }
    return render(request, "requests_app/service_detail.html", context, status=status)
