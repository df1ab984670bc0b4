"""A request's page and its actions: look up with a permission helper, validate a form, call one
service, render or redirect. Actions posted from a queue row with HTMX get the row back instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from departments.models import CannedResponse

from .. import extensions, params, selectors, services, throttle
from ..canned import render_canned_response
from ..forms import (
    AssignForm,
    PriorityForm,
    PromiseForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TransferForm,
    WatcherForm,
)
from ..models import ACTIVE_STATUSES, Attachment, ServiceRequest, Status
from ..permissions import (
    can_assign_others,
    can_work_on,
    get_attachment_for_user,
    is_requester,
)


def my_requests(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.my_requests(request.user), settings.QUEUE_PAGE_SIZE)
    page = paginator.get_page(params.page_number(request.GET))  # past the last page: the last page
    rows = list(page.object_list)
    watching = list(selectors.watched_requests(request.user)[:10])
    context = {
        "page": page,
        "rows": rows,
        "watching": watching,
        "sla": selectors.sla_views(rows + watching),
        "nav": "my_requests",
    }
    return render(request, "requests_app/my_requests.html", context)


def _detail_context(request: HttpRequest, sr: ServiceRequest, **forms: Any) -> dict[str, Any]:
    staff = can_work_on(request.user, sr)
    lead = can_assign_others(request.user, sr)
    requester = is_requester(request.user, sr)
    watchers = selectors.watchers(sr)
    definitions = list(sr.service.fields.all())
    attachments = list(sr.attachments.all())
    request_files = [a for a in attachments if a.comment_id is None]
    context: dict[str, Any] = {
        "sr": sr,
        "is_staff": staff,
        "is_lead": lead,
        "is_requester": requester,
        "field_rows": [(d, sr.values.get(d.name)) for d in definitions],
        "request_files": request_files,
        "comments": selectors.conversation(sr, include_internal=staff, attachments=attachments),
        "events": selectors.history(sr, include_internal=staff),
        "reply_form": forms.get("reply_form") or ReplyForm(allow_internal=staff),
        "can_cancel": requester and sr.status in ACTIVE_STATUSES,
        # Watchers follow; only the requester and the department talk.
        "can_reply": (requester or staff) and sr.status not in (Status.CLOSED, Status.CANCELLED),
        "max_upload": settings.ATTACHMENT_MAX_BYTES,
        "max_files": settings.ATTACHMENT_MAX_FILES,
        "clocks": selectors.sla_views([sr], services=[sr.service])[sr.pk],
        "promise": selectors.open_promise(sr),
        "watchers": watchers,
        "is_watcher": any(w.user_id == request.user.pk for w in watchers),
        "can_add_watchers": (requester or staff) and sr.status not in (Status.CLOSED, Status.CANCELLED),
        "watcher_form": forms.get("watcher_form") or WatcherForm(),
    }
    context["extension_templates"], extra = extensions.request_page(request, sr, forms)
    context.update(extra)
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
                "can_transfer": sr.status in ACTIVE_STATUSES,
                "handoffs": selectors.handoff_ledger(sr),
            }
        )
        if lead:
            members = selectors.department_members(sr.department)
            context["assign_form"] = forms.get("assign_form") or AssignForm(
                members=members, initial={"assignee": sr.assignee_id}
            )
    return context


def _load(request: HttpRequest, reference: str) -> ServiceRequest:
    return selectors.request_for_page(request.user, reference)


def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    sr = _load(request, reference)
    return render(request, "requests_app/request_detail.html", _detail_context(request, sr))


def _rerender(request: HttpRequest, sr: ServiceRequest, status: int, **forms: Any) -> HttpResponse:
    return render(request, "requests_app/request_detail.html", _detail_context(request, sr, **forms), status=status)


def error_text(exc: ValidationError) -> str:
    """A refusal's messages as one line, for a flash message or a row's error."""
    return " ".join(exc.messages)


def _from_queue_row(request: HttpRequest) -> bool:
    """An action posted by HTMX from a queue row: answer with the row, not the whole request page."""
    return request.headers.get("HX-Request") == "true" and request.POST.get("from_row") == "1"


def _queue_row(request: HttpRequest, sr: ServiceRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    """The queue row of ``sr`` as it is now (reloaded: assignee, status and clocks may have moved)."""
    sr = _load(request, sr.reference)
    context = {
        "sr": sr,
        "sla": selectors.sla_views([sr], services=[sr.service]),
        "is_lead": can_assign_others(request.user, sr),
        "row_error": error,
        "next_url": request.POST.get("next", ""),
    }
    return render(request, "partials/_queue_row.html", context, status=status)


def _next_url(request: HttpRequest) -> str | None:
    """Where a no-JavaScript action from the queue returns to: the queue page it came from, same site only."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def _refused(request: HttpRequest, sr: ServiceRequest, status: int, text: str, **forms: Any) -> HttpResponse:
    if _from_queue_row(request):
        return _queue_row(request, sr, error=text, status=status)
    messages.error(request, text)
    return _rerender(request, sr, status, **forms)


def _act(request: HttpRequest, sr: ServiceRequest, action: Any, form_name: str, form: Any) -> HttpResponse:
    """Run one service call; a refused change comes back as a message on the page, nothing saved."""
    try:
        success = action()
    except services.ConcurrentChange as exc:
        return _refused(request, _load(request, sr.reference), 409, str(exc))
    except services.TransitionNotAllowed as exc:
        return _refused(request, sr, 409, error_text(exc), **{form_name: form})
    except ValidationError as exc:
        if _from_queue_row(request):
            return _queue_row(request, sr, error=error_text(exc), status=400)
        if form is not None and hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                if field in form.fields:
                    form.add_error(field, errors)
                else:
                    # Not every form renders non-field errors (the status form shows only its select),
                    # so an error about a field the form lacks goes where it is always seen.
                    messages.error(request, error_text(ValidationError(errors)))
        else:
            messages.error(request, error_text(exc))
        return _rerender(request, sr, 400, **{form_name: form})
    if _from_queue_row(request):
        return _queue_row(request, sr)
    messages.success(request, success)
    return redirect(_next_url(request) or sr.get_absolute_url())


def _too_soon(
    request: HttpRequest, sr: ServiceRequest, verdict: throttle.Verdict, form_name: str, form: forms.Form | None
) -> HttpResponse:
    """A 429 with ``Retry-After``: the page again, with what was typed still in the form."""
    text = ngettext(
        "You sent many messages in a short time; please wait %(seconds)s second and send this one again "
        "(what you typed is kept below).",
        "You sent many messages in a short time; please wait %(seconds)s seconds and send this one again "
        "(what you typed is kept below).",
        verdict.retry_after,
    ) % {"seconds": verdict.retry_after}
    if form is not None:
        form.is_valid()  # shown with its own errors, if any
        form.add_error(None, text)
        response = _rerender(request, sr, 429, **{form_name: form})
    else:
        response = _refused(request, sr, 429, text)
    response["Retry-After"] = str(verdict.retry_after)
    return response


@dataclass(frozen=True)
class RequestAction:
    """A POST on a request page: who may, which form validates it, and the one service call it makes.

    ``perform`` calls the service and returns the message shown on success.
    """

    allowed: Callable[[Any, ServiceRequest], bool]
    perform: Callable[[HttpRequest, ServiceRequest, dict[str, Any]], str]
    form: Callable[[HttpRequest, ServiceRequest], forms.Form] | None = None
    form_name: str = ""
    # A per-person rate limit (``requests_app.throttle``), counted before the form is checked.
    limit: Callable[[int], throttle.Verdict] | None = None


def _action_view(action: RequestAction) -> Callable[[HttpRequest, str], HttpResponse]:
    @require_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        sr = _load(request, reference)
        if not action.allowed(request.user, sr):
            raise PermissionDenied
        form = action.form(request, sr) if action.form else None
        verdict = action.limit(request.user.pk) if action.limit else None
        if verdict is not None and not verdict.allowed:
            return _too_soon(request, sr, verdict, action.form_name, form)
        if form is not None and not form.is_valid():
            if _from_queue_row(request):
                return _queue_row(request, sr, error=error_text(ValidationError(form.errors.as_data())), status=400)
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
    return _("Internal note added.") if internal else _("Reply sent.")


def _claim(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_claim(service_request=sr, by=request.user)
    return _("You took this request.")


def _assign(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    assignee = data["assignee"]
    services.request_assign(service_request=sr, assignee=assignee, by=request.user)
    if assignee is None:
        return _("Unassigned.")
    return _("Assigned to %(person)s.") % {"person": assignee.get_full_name() or assignee.get_username()}


def _status(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_change_status(service_request=sr, to_status=data["status"], by=request.user, note=data["note"])
    # Translators: %(status)s is the new status in lower case, e.g. "Status changed to waiting on requester."
    return _("Status changed to %(status)s.") % {"status": Status(data["status"]).label.lower()}


def _resolve(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_resolve(service_request=sr, by=request.user, resolution_note=data["resolution_note"])
    return _("Resolved. The requester has been told.")


def _priority(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_change_priority(service_request=sr, priority=data["priority"], by=request.user)
    return _("Priority changed.")


def _promise(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.promise_make(service_request=sr, by=request.user, due_at=data["due_at"])
    # Day and month names in the active language ("Thu 05 Mar 15:00" in English).
    due = dateformat.format(timezone.localtime(data["due_at"]), "D d M H:i")
    # Translators: %(due)s is a day and time, e.g. "Thu 05 Mar 15:00".
    return _("Promised an update by %(due)s. The requester sees it.") % {"due": due}


def _add_watcher(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    person = data["person"]
    services.watcher_add(service_request=sr, user=person, by=request.user)
    return _("%(person)s now follows this request.") % {"person": person.get_full_name() or person.get_username()}


def _cancel(request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> str:
    services.request_cancel(service_request=sr, by=request.user)
    return _("Request cancelled.")


def _anyone_who_sees_it(user: Any, sr: ServiceRequest) -> bool:
    return True  # _load already refused (404) whoever may not see the request


request_reply = _action_view(
    RequestAction(
        allowed=_anyone_who_sees_it,
        perform=_reply,
        form=lambda r, sr: ReplyForm(r.POST, r.FILES, allow_internal=can_work_on(r.user, sr)),
        form_name="reply_form",
        limit=throttle.reply,
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
request_watcher_add = _action_view(
    RequestAction(
        allowed=lambda user, sr: is_requester(user, sr) or can_work_on(user, sr),
        perform=_add_watcher,
        form=lambda r, sr: WatcherForm(r.POST),
        form_name="watcher_form",
    )
)


def request_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    """Move the request to another service (usually another department's), with a reason.

    Afterwards the agent may no longer see it (it left their department), so they go back to their queue.
    """
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise PermissionDenied
    status = 200
    shareable = selectors.notes_to_share(sr)
    form_kwargs = {"current": sr.service, "notes": shareable.notes}
    if request.method == "POST":
        form = TransferForm(request.POST, **form_kwargs)
        if form.is_valid():
            target = form.cleaned_data["to_service"]
            came_from = sr.department
            try:
                services.request_transfer(
                    service_request=sr,
                    to_service=target,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    share_internal_notes=form.cleaned_data.get("share_internal_notes", False),
                )
            except (services.TransitionNotAllowed, services.ConcurrentChange) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
                status = 409
            except ValidationError as exc:
                for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                    form.add_error(field if field in form.fields else None, errors)
                status = 400
            else:
                messages.success(
                    request,
                    _("%(reference)s moved to %(department)s: %(service)s. They have been told.")
                    % {"reference": sr.reference, "department": target.department.name, "service": target.name},
                )
                if can_work_on(request.user, sr):
                    return redirect(sr)
                return redirect("requests_app:queue", slug=came_from.slug)
        else:
            status = 400
    else:
        form = TransferForm(**form_kwargs)
    context = {"sr": sr, "form": form, "shareable": shareable}
    return render(request, "requests_app/transfer.html", context, status=status)


@require_POST
def request_watcher_remove(request: HttpRequest, reference: str, user_id: int) -> HttpResponse:
    """Stop a colleague following (the requester, the department, or the watcher themselves)."""
    sr = _load(request, reference)
    watcher = next((w for w in selectors.watchers(sr) if w.user_id == user_id), None)
    if watcher is None:
        raise Http404(_("That person does not watch this request."))
    services.watcher_remove(service_request=sr, user=watcher.user, by=request.user)
    if watcher.user_id == request.user.pk and not (is_requester(request.user, sr) or can_work_on(request.user, sr)):
        messages.success(request, _("You no longer follow %(reference)s.") % {"reference": sr.reference})
        return redirect("requests_app:my_requests")
    messages.success(request, _("Watcher removed."))
    return redirect(sr)


@require_GET
def canned_response_list(request: HttpRequest, reference: str) -> HttpResponse:
    """The department's canned responses as a picker, loaded into the reply box by HTMX.

    Loaded on demand so the request page itself stays within its query budget; inserting a canned
    response needs JavaScript anyway.
    """
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise Http404(_("No canned responses here."))
    return render(request, "partials/_canned.html", {"sr": sr, "canned": selectors.canned_responses(sr.department)})


@require_GET
def canned_response_text(request: HttpRequest, reference: str, pk: int) -> JsonResponse:
    """A canned response filled in for this request, for the reply box (agents of the department only)."""
    sr = _load(request, reference)
    if not can_work_on(request.user, sr):
        raise Http404(_("No such canned response."))
    try:
        canned = CannedResponse.objects.get(pk=pk, department_id=sr.department_id)
    except CannedResponse.DoesNotExist:
        raise Http404(_("No such canned response.")) from None
    return JsonResponse({"title": canned.title, "body": render_canned_response(canned, sr, request.user)})


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment: Attachment = get_attachment_for_user(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is no longer stored.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response
