"""The department queue: filters, sorts, keyset pages, saved views with live counts, bulk changes,
and the agent's availability for round robin."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from departments.models import Department, Membership
from departments.permissions import is_lead, user_memberships

from .. import extensions, selectors, services
from ..forms import BulkForm, QueueFilterForm, SavedViewForm
from ..models import SavedView, ServiceRequest
from ..permissions import get_queue_department_for_user, visible_requests_q
from ..selectors.queue import DEFAULT_VIEWS, QueueFilters

# The filters always in view; the others fold away under "More filters" unless one is in use.
MAIN_FILTERS = ("q", "status", "priority", "sla", "assignee", "sort")
# Query-string keys that are filters (what a saved view stores); paging is not.
NOT_FILTERS = {"cursor", "page"}


def _filter_query(data: QueryDict) -> str:
    """The filters of a query string, without paging and empty values, in a stable order."""
    pairs = sorted((k, v) for k in data for v in data.getlist(k) if k not in NOT_FILTERS and v != "")
    return urlencode(pairs)


class QueueContext:
    """What every queue page needs to validate filters: the department's services, members, departments."""

    def __init__(self, department: Department) -> None:
        self.department = department
        # Kept between pages (configuration): the rows' badges are computed from it, no query more.
        self.configuration = selectors.queue_configuration(department.pk)
        self.services = self.configuration.services
        self.departments = self.configuration.departments
        self.members = list(selectors.department_members(department))

    def form(self, data: QueryDict | None) -> QueueFilterForm:
        return QueueFilterForm(data, services=self.services, members=self.members, departments=self.departments)

    def filters(self, query: str) -> QueueFilters | None:
        """A saved view's filters, or None when they no longer validate (a deleted service, say)."""
        form = self.form(QueryDict(query))
        return form.filters() if form.is_valid() else None


def _sidebar(
    request: HttpRequest, ctx: QueueContext, current: QueueFilters
) -> tuple[list[selectors.QueueView], selectors.QueueView]:
    """The sidebar's views and the page's own filter, all counted in one statement."""
    views: list[tuple[str, str, SavedView | None, QueueFilters | None]] = [
        (name, query, None, filters) for name, query, filters in DEFAULT_VIEWS
    ]
    for saved in selectors.saved_views(ctx.department, request.user):
        views.append((saved.name, saved.query, saved, ctx.filters(saved.query)))
    counted, page = selectors.views_with_counts(views, department=ctx.department, user=request.user, current=current)
    return counted, cast(selectors.QueueView, page)  # a page always has its own count


def queue(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    ctx = QueueContext(department)
    form = ctx.form(request.GET or None)
    filters = form.filters() if form.is_bound else QueueFilters()
    qs = selectors.queue_requests(department_ids=[department.pk], filters=filters, user=request.user)
    size = settings.QUEUE_PAGE_SIZE
    try:
        page = selectors.keyset_page(
            qs, sort=filters.sort, cursor=request.GET.get("cursor", ""), size=size, count=False
        )
    except selectors.InvalidCursor as exc:
        # Translators: %(problem)s is why the page link was refused, e.g. "This page link is damaged."
        messages.warning(request, _("%(problem)s Showing the first page.") % {"problem": exc})
        page = selectors.keyset_page(qs, sort=filters.sort, size=size, count=False)
    views, current = _sidebar(request, ctx, filters)
    page.total, page.total_capped = current.count, current.capped
    membership = next((m for m in user_memberships(request.user) if m.department_id == department.pk), None)
    context = {
        "department": department,
        "form": form,
        "page": page,
        "rows": page.rows,
        "sla": selectors.sla_views(page.rows, config=ctx.configuration.sla),
        "filter_query": _filter_query(request.GET),
        "main_filters": MAIN_FILTERS,
        "more_filters_used": any(request.GET.get(name) for name in form.fields if name not in MAIN_FILTERS),
        "views": views,
        "is_lead": is_lead(request.user, department.pk),
        "members": ctx.members,
        "membership": membership,
        "bulk_form": BulkForm(members=ctx.members),
        "next_url": request.get_full_path(),
        "nav": "queue",
        "department_links": extensions.department_links(request.user, department),
    }
    # Bad filters are reported at their fields and left out: the page shows the rest, with a 400.
    return render(request, "requests_app/queue.html", context, status=400 if form.errors else 200)


def _queue_url(department: Department, query: str = "") -> str:
    url = reverse("requests_app:queue", kwargs={"slug": department.slug})
    return f"{url}?{query}" if query else url


@require_POST
def queue_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """One change for the selected rows; each row through its own service call, refusals reported."""
    department = get_queue_department_for_user(request.user, slug)
    members = list(selectors.department_members(department))
    form = BulkForm(request.POST, members=members)
    back = request.POST.get("back", "")
    back_url = _queue_url(department, back)
    if not form.is_valid():
        for error in [*form.non_field_errors(), *[e for f in form.errors if f != "__all__" for e in form.errors[f]]]:
            messages.error(request, error)
        return redirect(back_url)
    references = form.cleaned_data["references"]
    # Only requests this person may see, in this department: a stranger's reference is "not found".
    found = {
        sr.reference: sr
        for sr in ServiceRequest.objects.filter(visible_requests_q(request.user))
        .filter(department=department, reference__in=references)
        .select_related("service", "department", "assignee")
    }
    result = services.requests_bulk_change(
        requests=[found[r] for r in references if r in found],
        action=form.cleaned_data["action"],
        value=form.cleaned_data["value"],
        by=request.user,
        note=form.cleaned_data.get("note") or "",
    )
    not_found = _("Not found in this queue.")
    result.refused.extend((r, not_found) for r in references if r not in found)
    if result.changed:
        messages.success(
            request,
            ngettext(
                # Translators: "Changed 2: IT-1, IT-2." (how many requests, then their references).
                "Changed %(count)s: %(references)s.",
                "Changed %(count)s: %(references)s.",
                len(result.changed),
            )
            % {"count": len(result.changed), "references": ", ".join(result.changed)},
        )
    if result.unchanged:
        messages.info(
            request, _("Already so, left as they were: %(references)s.") % {"references": ", ".join(result.unchanged)}
        )
    for reference, reason in result.refused:
        messages.error(
            request, _("%(reference)s was not changed: %(reason)s") % {"reference": reference, "reason": reason}
        )
    return redirect(back_url)


@require_POST
def saved_view_create(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    form = SavedViewForm(request.POST)
    query = _filter_query(QueryDict(request.POST.get("query", "")))
    if not form.is_valid():
        messages.error(request, _("Give the view a name (at most 80 characters)."))
        return redirect(_queue_url(department, query))
    try:
        view = services.saved_view_create(
            department=department,
            owner=request.user,
            name=form.cleaned_data["name"],
            query=query,
            shared=form.cleaned_data["shared"],
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(_queue_url(department, query))
    messages.success(request, _("Saved “%(name)s”; it is in the sidebar with its live count.") % {"name": view.name})
    return redirect(_queue_url(department, query))


@require_POST
def saved_view_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    department = get_queue_department_for_user(request.user, slug)
    view = next((v for v in selectors.saved_views(department, request.user) if v.pk == pk), None)
    if view is None:
        raise Http404(_("No such view."))
    services.saved_view_delete(view=view, by=request.user)
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect(_queue_url(department))


@require_POST
def availability(request: HttpRequest, slug: str) -> HttpResponse:
    """Mark oneself available (or away) for round-robin assignment in this department."""
    department = get_queue_department_for_user(request.user, slug)
    membership = Membership.objects.get(user=request.user, department=department)
    available = request.POST.get("available") == "1"
    services.membership_set_available(membership=membership, available=available, by=request.user)
    messages.success(
        request,
        _("You are available: round robin assigns you new requests.")
        if available
        else _("You are away: round robin skips you until you come back."),
    )
    return redirect(_queue_url(department))
