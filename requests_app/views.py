"""Pages: look up with a permission helper, validate a form, call one service, render or redirect."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from departments.models import Service
from departments.permissions import is_lead

from . import selectors, services
from .forms import (
    QUEUE_SORTS,
    AssignForm,
    CatalogSearchForm,
    PriorityForm,
    PromiseForm,
    QueueFilterForm,
    ReplyForm,
    ResolveForm,
    ServiceRequestForm,
    StatusForm,
)
from .models import ACTIVE_STATUSES, Attachment, ServiceRequest, Status
from .permissions import (
    can_assign_others,
    can_work_on,
    get_attachment_for_user,
    get_queue_department_for_user,
    get_request_for_user,
    is_requester,
)


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
        raise Http404("No such service in the catalog.") from None


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The service's promise and, below it, the form to file a request."""
    service = _get_service(pk)
    status = 200
    if request.method == "POST":
        form = ServiceRequestForm(request.POST, request.FILES, service=service)
        if form.is_valid():
            try:
                service_request = services.request_file(
                    service=service,
                    requester=request.user,
                    title=form.cleaned_data["title"],
                    values=form.cleaned_values(),
                    files=form.cleaned_files(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Request {service_request.reference} was filed. We will keep you posted.")
                return redirect(service_request)
        status = 400
        if request.FILES:
            messages.warning(request, "For your safety, browsers do not keep chosen files: please select them again.")
    else:
        form = ServiceRequestForm(service=service)
    context = {
        "service": service,
        "form": form,
        "targets": selectors.sla_targets_by_priority(service),
        "max_upload": settings.ATTACHMENT_MAX_BYTES,
        "nav": "catalog",
    }
    return render(request, "requests_app/service_detail.html", context, status=status)


def my_requests(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.my_requests(request.user), settings.QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {"page": page, "rows": rows, "sla": selectors.sla_views(rows), "nav": "my_requests"}
    return render(request, "requests_app/my_requests.html", context)


def queue(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    services_list = list(department.services.order_by("name"))
    members = list(selectors.department_members(department))
    form = QueueFilterForm(request.GET or None, services=services_list, members=members)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = form.cleaned_data
    sort = filters.get("sort") or "due"
    qs = selectors.department_queue(
        department=department,
        user=request.user,
        status=filters.get("status", ""),
        assignee=filters.get("assignee", ""),
        service_id=filters.get("service", ""),
        order_by=QUEUE_SORTS[sort][1],
    )
    paginator = Paginator(qs, settings.QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "department": department,
        "form": form,
        "page": page,
        "querystring": querystring.urlencode(),
        "is_lead": is_lead(request.user, department.pk),
        "nav": "queue",
        "rows": rows,
        "sla": selectors.sla_views(rows),
    }
    return render(request, "requests_app/queue.html", context)


def _detail_context(request: HttpRequest, sr: ServiceRequest, **forms: Any) -> dict[str, Any]:
    staff = can_work_on(request.user, sr)
    lead = can_assign_others(request.user, sr)
    definitions = list(sr.service.fields.all())
    request_files = [a for a in sr.attachments.all() if a.comment_id is None]
    context: dict[str, Any] = {
        "sr": sr,
        "is_staff": staff,
        "is_lead": lead,
        "is_requester": is_requester(request.user, sr),
        "field_rows": [(d, sr.values.get(d.name)) for d in definitions],
        "request_files": request_files,
        "comments": selectors.conversation(sr, include_internal=staff),
        "events": selectors.history(sr, include_internal=staff),
        "reply_form": forms.get("reply_form") or ReplyForm(allow_internal=staff),
        "can_cancel": is_requester(request.user, sr) and sr.status in ACTIVE_STATUSES,
        "can_reply": sr.status not in (Status.CLOSED, Status.CANCELLED),
        "max_upload": settings.ATTACHMENT_MAX_BYTES,
        "clocks": selectors.sla_views([sr])[sr.pk],
        "promise": selectors.open_promise(sr),
    }
    if staff:
        next_statuses = services.ALLOWED_TRANSITIONS[sr.status] - {Status.RESOLVED}
        status_form = forms.get("status_form") or StatusForm()
        status_form.fields["status"].choices = [(s, Status(s).label) for s in Status.values if s in next_statuses]
        context.update(
            {
                "status_form": status_form,
                "resolve_form": forms.get("resolve_form") or ResolveForm(),
                "priority_form": forms.get("priority_form") or PriorityForm(initial={"priority": sr.priority}),
                "can_resolve": Status.RESOLVED in services.ALLOWED_TRANSITIONS[sr.status],
                "can_claim": sr.assignee_id != request.user.pk and sr.status not in (Status.CLOSED, Status.CANCELLED),
                "promise_form": forms.get("promise_form") or PromiseForm(),
                "can_promise": sr.status in ACTIVE_STATUSES,
            }
        )
        if lead:
            members = selectors.department_members(sr.department)
            context["assign_form"] = forms.get("assign_form") or AssignForm(
                members=members, initial={"assignee": sr.assignee_id}
            )
    return context


def _load(request: HttpRequest, reference: str) -> ServiceRequest:
    return get_request_for_user(
        request.user,
        reference,
        ServiceRequest.objects.select_related("service", "department", "requester", "assignee").prefetch_related(
            "service__fields", "attachments"
        ),
    )


def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    return render(request, "requests_app/request_detail.html", _detail_context(request, sr))


def _rerender(request: HttpRequest, sr: ServiceRequest, status: int, **forms: Any) -> HttpResponse:
    return render(request, "requests_app/request_detail.html", _detail_context(request, sr, **forms), status=status)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _act(
    request: HttpRequest, sr: ServiceRequest, action: Any, success: str, form_name: str, form: Any
) -> HttpResponse:
    """Run one service call; a refused change comes back as a message on the page, nothing saved."""
    try:
        action()
    except services.ConcurrentChange as exc:
        messages.error(request, str(exc))
        return _rerender(request, _load(request, sr.reference), 409)
    except services.TransitionNotAllowed as exc:
        messages.error(request, _error_text(exc))
        return _rerender(request, sr, 409, **{form_name: form})
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                if field in form.fields:
                    form.add_error(field, errors)
                else:
                    # Not every form renders non-field errors (the status form shows only its select),
                    # so an error about a field the form lacks goes where it is always seen.
                    messages.error(request, _error_text(ValidationError(errors)))
        else:
            messages.error(request, _error_text(exc))
        return _rerender(request, sr, 400, **{form_name: form})
    messages.success(request, success)
    return redirect(sr)


@require_POST
def request_reply(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    staff = can_work_on(request.user, sr)
    form = ReplyForm(request.POST, request.FILES, allow_internal=staff)
    if not form.is_valid():
        return _rerender(request, sr, 400, reply_form=form)
    internal = form.cleaned_data.get("internal", False)
    return _act(
        request,
        sr,
        lambda: services.comment_add(
            service_request=sr,
            author=request.user,
            body=form.cleaned_data["body"],
            internal=internal,
            files=[("", f) for f in form.cleaned_data["attachments"]],
        ),
        "Internal note added." if internal else "Reply sent.",
        "reply_form",
        form,
    )


@require_POST
def request_claim(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise PermissionDenied
    return _act(
        request,
        sr,
        lambda: services.request_claim(service_request=sr, by=request.user),
        "You took this request.",
        "",
        None,
    )


@require_POST
def request_assign(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not can_assign_others(request.user, sr):
        raise PermissionDenied
    form = AssignForm(request.POST, members=selectors.department_members(sr.department))
    if not form.is_valid():
        return _rerender(request, sr, 400, assign_form=form)
    assignee = form.cleaned_data["assignee"]
    return _act(
        request,
        sr,
        lambda: services.request_assign(service_request=sr, assignee=assignee, by=request.user),
        f"Assigned to {assignee.get_full_name() or assignee.get_username()}." if assignee else "Unassigned.",
        "assign_form",
        form,
    )


@require_POST
def request_status(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _rerender(request, sr, 400, status_form=form)
    to_status = form.cleaned_data["status"]
    return _act(
        request,
        sr,
        lambda: services.request_change_status(
            service_request=sr, to_status=to_status, by=request.user, note=form.cleaned_data["note"]
        ),
        f"Status changed to {Status(to_status).label.lower()}.",
        "status_form",
        form,
    )


@require_POST
def request_resolve(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise PermissionDenied
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _rerender(request, sr, 400, resolve_form=form)
    return _act(
        request,
        sr,
        lambda: services.request_resolve(
            service_request=sr, by=request.user, resolution_note=form.cleaned_data["resolution_note"]
        ),
        "Resolved. The requester has been told.",
        "resolve_form",
        form,
    )


@require_POST
def request_priority(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise PermissionDenied
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _rerender(request, sr, 400, priority_form=form)
    return _act(
        request,
        sr,
        lambda: services.request_change_priority(
            service_request=sr, priority=form.cleaned_data["priority"], by=request.user
        ),
        "Priority changed.",
        "priority_form",
        form,
    )


@require_POST
def request_promise(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise PermissionDenied
    form = PromiseForm(request.POST)
    if not form.is_valid():
        return _rerender(request, sr, 400, promise_form=form)
    due_at = form.cleaned_data["due_at"]
    return _act(
        request,
        sr,
        lambda: services.promise_make(service_request=sr, by=request.user, due_at=due_at),
        f"Promised an update by {timezone.localtime(due_at):%a %d %b %H:%M}. The requester sees it.",
        "promise_form",
        form,
    )


@require_POST
def request_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    if not is_requester(request.user, sr):
        raise PermissionDenied
    return _act(
        request,
        sr,
        lambda: services.request_cancel(service_request=sr, by=request.user),
        "Request cancelled.",
        "",
        None,
    )


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment: Attachment = get_attachment_for_user(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response
