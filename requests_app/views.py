"""Pages: look up with a permission helper, validate a form, call one service, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
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


def _act(request: HttpRequest, sr: ServiceRequest, action: Any, form_name: str, form: Any) -> HttpResponse:
    """Run one service call; a refused change comes back as a message on the page, nothing saved."""
    try:
        success = action()
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


@dataclass(frozen=True)
class RequestAction:
    """A POST on a request page: who may, which form validates it, and the one service call it makes.

    ``perform`` calls the service and returns the message shown on success.
    """

    allowed: Callable[[Any, ServiceRequest], bool]
    perform: Callable[[HttpRequest, ServiceRequest, dict[str, Any]], str]
    form: Callable[[HttpRequest, ServiceRequest], forms.Form] | None = None
    form_name: str = ""


def _action_view(action: RequestAction) -> Callable[[HttpRequest, str], HttpResponse]:
    @require_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        sr = _load(request, reference)
        if not action.allowed(request.user, sr):
            raise PermissionDenied
        form = action.form(request, sr) if action.form else None
        if form is not None and not form.is_valid():
            return _rerender(request, sr, 400, **{action.form_name: form})
        data = form.cleaned_data if form is not None else {}
        return _act(request, sr, lambda: action.perform(request, sr, data), action.form_name, form)

    return view


def _reply(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    internal = data.get("internal", False)
    services.comment_add(
        service_request=sr,
        author=request.user,
        body=data["body"],
        internal=internal,
        files=[("", f) for f in data["attachments"]],
    )
    return "Internal note added." if internal else "Reply sent."


def _claim(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_claim(service_request=sr, by=request.user)
    return "You took this request."


def _assign(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    assignee = data["assignee"]
    services.request_assign(service_request=sr, assignee=assignee, by=request.user)
    return f"Assigned to {assignee.get_full_name() or assignee.get_username()}." if assignee else "Unassigned."


def _status(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_change_status(service_request=sr, to_status=data["status"], by=request.user, note=data["note"])
    return f"Status changed to {Status(data['status']).label.lower()}."


def _resolve(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_resolve(service_request=sr, by=request.user, resolution_note=data["resolution_note"])
    return "Resolved. The requester has been told."


def _priority(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_change_priority(service_request=sr, priority=data["priority"], by=request.user)
    return "Priority changed."


def _promise(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.promise_make(service_request=sr, by=request.user, due_at=data["due_at"])
    return f"Promised an update by {timezone.localtime(data['due_at']):%a %d %b %H:%M}. The requester sees it."


def _cancel(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_cancel(service_request=sr, by=request.user)
    return "Request cancelled."


def _anyone_who_sees_it(user: Any, sr: ServiceRequest) -> bool:
    return True  # _load already refused (404) whoever may not see the request


request_reply = _action_view(
    RequestAction(
        allowed=_anyone_who_sees_it,
        perform=_reply,
        form=lambda r, sr: ReplyForm(r.POST, r.FILES, allow_internal=can_work_on(r.user, sr)),
        form_name="reply_form",
    )
)
request_claim = _action_view(RequestAction(allowed=can_work_on, perform=_claim))
request_assign = _action_view(
    RequestAction(
        allowed=can_assign_others,
        perform=_assign,
        form=lambda r, sr: AssignForm(r.POST, members=selectors.department_members(sr.department)),
        form_name="assign_form",
    )
)
request_status = _action_view(
    RequestAction(allowed=can_work_on, perform=_status, form=lambda r, sr: StatusForm(r.POST), form_name="status_form")
)
request_resolve = _action_view(
    RequestAction(
        allowed=can_work_on, perform=_resolve, form=lambda r, sr: ResolveForm(r.POST), form_name="resolve_form"
    )
)
request_priority = _action_view(
    RequestAction(
        allowed=can_work_on, perform=_priority, form=lambda r, sr: PriorityForm(r.POST), form_name="priority_form"
    )
)
request_promise = _action_view(
    RequestAction(
        allowed=can_work_on, perform=_promise, form=lambda r, sr: PromiseForm(r.POST), form_name="promise_form"
    )
)
request_cancel = _action_view(RequestAction(allowed=is_requester, perform=_cancel))


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
